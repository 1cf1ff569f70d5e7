//! Streams of a model's rows: on a `Db`, from a task that owns a pooled connection; in a
//! session, on the connection the session reads the bind on, borrowed for the stream's
//! life. Both read rows through `Connection::rows` (one row within the deadline, decoded).

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;

use super::{Session, Shape, decode, select_sql};
use crate::Role;
use crate::backend::Fault;
use crate::db::Db;
use crate::error::Error;
use crate::{BindKey, Model, Select, Value};

impl Db {
    /// Starts a SELECT of model `M`'s rows on its own pooled connection, outside any
    /// transaction: its rows, decoded, as they arrive through a bounded channel (see
    /// `Connection::stream`).
    pub(crate) async fn stream_select<M: Model + Send + 'static>(
        &self,
        select: &Select<M>,
    ) -> Result<BoxStream<'static, Result<M, Error>>, Error> {
        let bind = self.resolve_table(M::TABLE)?;
        if self.is_closed() {
            return Err(Error::Closed {
                bind: BindKey::from(bind.key()),
            });
        }
        let (sql, params, kinds) = select_sql(select, bind, Shape::Rows)?;
        let (table, deadline) = (M::TABLE.name, bind.deadline());
        let started = Instant::now();
        let conn = bind.writer().pool().acquire().await.map_err(|source| {
            bind.writer().explain(Fault::Database(source).into_error(
                bind.key(),
                Some(table),
                deadline,
            ))
        })?;
        self.recorder().record(
            bind.key(),
            Role::Primary,
            &sql,
            params.len(),
            started.elapsed(),
        );
        let rows = conn.stream(sql.into(), params, kinds, deadline);
        let key = M::TABLE.bind_key;
        Ok(
            futures_util::stream::unfold(rows, move |mut rows| async move {
                let row = rows
                    .recv()
                    .await?
                    .map_err(|fault| fault.into_error(key, Some(table), deadline))
                    .and_then(decode::<M>);
                Some((row, rows))
            })
            .boxed(),
        )
    }
}

/// What a session's stream sends its reader: first whether it started (its connection
/// ready, or why not), then its rows.
enum Step {
    Started(Result<(), Error>),
    Row(Result<Vec<Value>, Error>),
}

impl Session {
    /// Starts a SELECT of model `M`'s rows in this session, after flushing its pending
    /// inserts: on the connection its reads of the bind run on (`Run::Read`), borrowed
    /// until the stream ends or is dropped. A fault ends the stream and leaves the session
    /// needing a rollback, as any failed statement does; a stream dropped mid-way leaves
    /// the rest of its answer, which sqlx reads off before the connection's next
    /// statement.
    pub(crate) async fn stream_select<'a, M: Model + Send + 'a>(
        &'a mut self,
        select: &Select<M>,
    ) -> Result<BoxStream<'a, Result<M, Error>>, Error> {
        let select = select.clone();
        let mut steps = generate(move |tx| async move {
            // `Err(())` says only that the reader went away: no one is left to tell.
            let _ = self.produce(&select, &tx).await;
        });
        // The producer's first step says whether it started: its error is this call's.
        if let Some(Step::Started(Err(error))) = steps.next().await {
            return Err(error);
        }
        Ok(steps
            .filter_map(|step| async move {
                match step {
                    Step::Row(row) => Some(row.and_then(decode::<M>)),
                    Step::Started(_) => None,
                }
            })
            .boxed())
    }

    /// The body of [`Session::stream_select`]: sends [`Step::Started`], then each row,
    /// until the rows end, one fails, or the reader goes away (`Err(())`).
    async fn produce<M: Model>(&mut self, select: &Select<M>, tx: &Sender<Step>) -> Result<(), ()> {
        let send = async |step| tx.send(step).await.map_err(drop);
        let table = Some(M::TABLE.name);
        let db = self.db.clone();
        let start = async {
            self.flush().await?;
            let bind = db.resolve_table(M::TABLE)?;
            let (sql, params, kinds) = select_sql(select, bind, Shape::Rows)?;
            self.usable(Some(bind))?;
            Ok::<_, Error>((bind, sql, params, kinds))
        };
        let (bind, sql, params, kinds) = match start.await {
            Ok(ready) => ready,
            Err(error) => return send(Step::Started(Err(error))).await,
        };
        let started = Instant::now();
        let mut own = None;
        let conn = match self.read_on(bind, table, &mut own).await {
            Ok(conn) => conn,
            Err(error) => return send(Step::Started(Err(error))).await,
        };
        let (count, sql) = (params.len(), std::sync::Arc::<str>::from(sql));
        db.recorder()
            .record(bind.key(), Role::Primary, &sql, count, started.elapsed());
        send(Step::Started(Ok(()))).await?;
        let fault = {
            let mut rows = conn.rows(sql, params, kinds, bind.deadline());
            loop {
                // The next row is read once the reader has taken the one before, so that
                // the deadline runs from when the reader asks, however long it kept that.
                let room = tx.reserve().await.map_err(drop)?;
                match rows.next().await {
                    None => return Ok(()),
                    Some(Ok(row)) => room.send(Step::Row(Ok(row))),
                    Some(Err(fault)) => break fault,
                }
            }
        };
        if matches!(fault, Fault::Deadline) {
            // The answer may never finish: closed, never used again (`settle` drops it).
            conn.discard();
        }
        match self.settle::<()>(bind, table, Err(fault)) {
            Err(error) => send(Step::Row(Err(error))).await,
            Ok(()) => Ok(()),
        }
    }
}

type Sender<T> = tokio::sync::mpsc::Sender<T>;

/// The items `producer` sends, as a stream: the producer runs when the stream is polled,
/// in the reader's task, and stops when the stream is dropped. It lets one async body
/// borrow the session, and through it a connection, across every row it yields — which
/// `unfold`, whose state moves from step to step, cannot hold — with no task of its own,
/// so nothing needs to be `'static`. The channel holds one item.
fn generate<'a, T, F>(producer: impl FnOnce(Sender<T>) -> F) -> BoxStream<'a, T>
where
    T: Send + 'a,
    F: Future<Output = ()> + Send + 'a,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let mut producer: Option<Pin<Box<F>>> = Some(Box::pin(producer(tx)));
    futures_util::stream::poll_fn(move |cx| {
        if let Some(running) = producer.as_mut()
            && running.as_mut().poll(cx).is_ready()
        {
            // Its sender dropped with it: the channel ends after what it holds.
            producer = None;
        }
        rx.poll_recv(cx)
    })
    .boxed()
}
