-- NOTIFY is not free: at commit PostgreSQL takes one lock per database for the notification queue and holds it
-- through the commit's WAL flush, so every notifying transaction commits alone. Measured with pgbench (8 clients,
-- lending.apply), notifying on every event cost a quarter to a third of the throughput. So a change notifies only
-- while somebody waits for one: a listening session registers here while it has waiters (lending.watch_events).
--
-- No wake-up can be lost between the two. A writer looks for watchers after inserting its event, which takes an
-- ACCESS SHARE lock on this table until it commits. Registering takes ACCESS EXCLUSIVE: it waits until every writer
-- that may have looked and found nobody has finished (its event is then committed, and the waiter's next read
-- finds it), and writers that look later wait for the registration to commit and see it.
create table lending_private.event_watcher (
  listener_pid integer primary key,
  watching_since timestamptz not null default now()
);
comment on table lending_private.event_watcher is
  'Sessions that LISTEN on lending_events and have readers waiting: changes NOTIFY only while a row exists.';
