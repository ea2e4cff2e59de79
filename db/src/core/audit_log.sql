-- The audit trail. Triggers on every business table append a row here for each insert and update
-- (lending_private.record_audit), so no write path can skip it, direct SQL included. The rows of one subject (an
-- application and everything that hangs off it, a party, or an actor and its keys) form a hash chain: each row's
-- hash is sha256(previous row's hash || digest of its own content). The chain covers the digest rather than the
-- content itself, so that personal data in old_values/new_values can later be redacted by an audited function
-- while the chain still verifies.
create table lending_private.audit_log (
  subject text not null,
  subject_id bigint not null,
  seq integer not null,
  table_name text not null,
  row_id text not null,
  action text not null,
  old_values jsonb,
  new_values jsonb not null,
  actor text not null,
  request_id text,
  recorded_at timestamptz not null,
  content_digest bytea not null,
  row_hash bytea not null,
  redacted_at timestamptz,
  primary key (subject, subject_id, seq),
  -- One CHECK that calls a function, rather than one per rule: PostgreSQL reads and plans a table's CHECK
  -- expressions again for every statement that inserts into it, at a cost in proportion to their size (four
  -- constraints cost each audit row about 96,000 instructions, this one about 35,000).
  constraint audit_log_row_is_well_formed
    check (lending_private.audit_row_error(subject, action, seq, old_values) is null)
);
comment on table lending_private.audit_log is
  'Append-only audit trail, one hash chain per (subject, subject_id). Written only by lending_private.record_audit().';
comment on column lending_private.audit_log.subject is
  'Which kind of chain the row belongs to: application, party, actor or product.';
comment on column lending_private.audit_log.subject_id is 'The application_id, party_id, actor_id or product_id that owns the chain.';
comment on column lending_private.audit_log.seq is 'Position in the chain, from 1, without gaps.';
comment on column lending_private.audit_log.row_id is 'Primary key of the changed row, as text.';
comment on column lending_private.audit_log.old_values is 'For updates, the changed fields before the change.';
comment on column lending_private.audit_log.new_values is 'For inserts the whole row; for updates the changed fields after.';
comment on column lending_private.audit_log.actor is 'Who made the change: the actor the call named, else sql:<session user>.';
comment on column lending_private.audit_log.request_id is 'The request id the call carried (X-Request-Id over HTTP).';
comment on column lending_private.audit_log.redacted_at is
  'When personal data in old_values/new_values was redacted; the row then keeps its digest, not its content.';
comment on column lending_private.audit_log.content_digest is 'lending_private.audit_digest() of this row''s content.';
comment on column lending_private.audit_log.row_hash is
  'sha256(row_hash of the previous row, or the chain''s genesis hash for seq 1 || content_digest).';

create trigger _100_refuse_change before update or delete on lending_private.audit_log
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.audit_log
  for each statement execute function lending_private.refuse_change();

-- The head of each chain: its last position and hash. Appending locks this row, so concurrent writers of one
-- subject queue here while writers of different subjects never meet (no global hot row). It also lets
-- verification notice rows cut from the end of a chain.
create table lending_private.audit_chain_head (
  subject text not null,
  subject_id bigint not null,
  last_seq integer not null,
  last_hash bytea not null,
  primary key (subject, subject_id)
);
comment on table lending_private.audit_chain_head is 'Last position and hash of each audit chain.';
