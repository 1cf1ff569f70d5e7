CREATE INDEX item_id ON item (id);
