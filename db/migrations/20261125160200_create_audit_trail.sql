-- migrate:up
set local role lending_owner;

-- The audit trail. Triggers on every business table append a row here for each insert and update, so no write
-- path can skip it, direct SQL included. The rows of one subject (an application and everything that hangs off
-- it, or a party) form a hash chain: each row's hash is sha256(previous row's hash || digest of its own content).
-- The chain covers the digest rather than the content itself, so that personal data in old_values/new_values can
-- later be redacted by an audited function while the chain still verifies.
create table lending_private.audit_log (
  subject text not null constraint audit_log_subject_is_known check (subject in ('application', 'party')),
  subject_id bigint not null,
  seq integer not null constraint audit_log_seq_is_positive check (seq >= 1),
  table_name text not null,
  row_id text not null,
  action text not null constraint audit_log_action_is_known check (action in ('insert', 'update')),
  old_values jsonb,
  new_values jsonb not null,
  actor text not null,
  request_id text,
  recorded_at timestamptz not null,
  content_digest bytea not null,
  row_hash bytea not null,
  redacted_at timestamptz,
  primary key (subject, subject_id, seq),
  constraint audit_log_old_values_only_on_update check ((action = 'update') = (old_values is not null))
);
comment on table lending_private.audit_log is
  'Append-only audit trail, one hash chain per (subject, subject_id). Written only by lending_private.record_audit().';
comment on column lending_private.audit_log.subject is 'Which kind of chain the row belongs to: application or party.';
comment on column lending_private.audit_log.subject_id is 'The application_id or party_id that owns the chain.';
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

create function lending_private.audit_genesis(subject text, subject_id bigint)
returns bytea
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return sha256(convert_to(format('lendgres audit chain %s %s', subject, subject_id), 'UTF8'));
end;
$$;
comment on function lending_private.audit_genesis(text, bigint) is
  'What a chain''s first row links to. It names the chain, so that rows moved from another chain do not verify.';

-- The digest of an audit row's content, over a canonical serialisation: jsonb's text form has a fixed key order and
-- spacing, and the one timestamp is written in UTC with a fixed pattern, so the digest depends neither on the
-- session's TimeZone nor on its DateStyle. The row's position is not part of it: the chain's links fix the order.
create function lending_private.audit_digest(
  subject text, subject_id bigint, table_name text, row_id text, action text, old_values jsonb, new_values jsonb,
  actor text, request_id text, recorded_at timestamptz)
returns bytea
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return sha256(convert_to(jsonb_build_object(
    'subject', subject, 'subject_id', subject_id, 'table', table_name, 'row_id', row_id, 'action', action,
    'old', old_values, 'new', new_values, 'actor', actor, 'request_id', request_id,
    'recorded_at', to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8'));
end;
$$;
comment on function lending_private.audit_digest(text, bigint, text, text, text, jsonb, jsonb, text, text, timestamptz) is
  'sha256 of an audit row''s canonical content: what the chain covers, and what survives a redaction.';

-- Who is acting and for which request reach the triggers through transaction-local settings, set inside the
-- calling function (lending_private.begin_call), never through a separate round trip or a session setting.
create function lending_private.current_actor()
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return coalesce(nullif(current_setting('lending.actor', true), ''), 'sql:' || session_user);
end;
$$;

create function lending_private.current_request_id()
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return nullif(current_setting('lending.request_id', true), '');
end;
$$;

-- The trigger behind every business table: after insert or update, record the row (or the fields that changed).
-- Arguments: the chain's subject, the column holding the subject id, and the column holding the row's id (the
-- same column on the subject's own table, whose insert starts the chain).
-- SECURITY DEFINER so that whoever may write a business table also writes its audit, and TimeZone UTC so that
-- timestamps inside old_values/new_values read the same whoever wrote them.
create function lending_private.record_audit()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
as $$
declare
  v_subject text := tg_argv[0];
  v_new jsonb := to_jsonb(new);
  v_subject_id bigint := (v_new ->> tg_argv[1])::bigint;
  v_row_id text := v_new ->> tg_argv[2];
  v_old jsonb;
  v_old_changed jsonb;
  v_new_changed jsonb := v_new;
  v_actor text := lending_private.current_actor();
  v_request_id text := lending_private.current_request_id();
  v_recorded_at timestamptz := now();
  v_digest bytea;
  v_seq integer;
  v_hash bytea;
begin
  if tg_op = 'UPDATE' then
    v_old := to_jsonb(old);
    select jsonb_object_agg(n.key, v_old -> n.key), jsonb_object_agg(n.key, n.value)
      into v_old_changed, v_new_changed
      from jsonb_each(v_new) as n
     where n.value is distinct from v_old -> n.key;
    if v_new_changed is null then
      return null;  -- nothing changed, nothing to record
    end if;
  end if;
  v_digest := lending_private.audit_digest(v_subject, v_subject_id, tg_table_name, v_row_id, lower(tg_op),
                                           v_old_changed, v_new_changed, v_actor, v_request_id, v_recorded_at);

  if tg_op = 'INSERT' and tg_argv[1] = tg_argv[2] then
    -- The insert of the subject itself starts its chain. No other transaction can see the subject yet, so there
    -- is nothing to wait for.
    v_seq := 1;
    v_hash := sha256(lending_private.audit_genesis(v_subject, v_subject_id) || v_digest);
    insert into lending_private.audit_chain_head (subject, subject_id, last_seq, last_hash)
    values (v_subject, v_subject_id, v_seq, v_hash);
  else
    -- Lock the chain's head and move it on by one row, in one statement: concurrent writers of one subject queue
    -- here, writers of different subjects never meet.
    update lending_private.audit_chain_head as h
       set last_seq = h.last_seq + 1, last_hash = sha256(h.last_hash || v_digest)
     where h.subject = v_subject and h.subject_id = v_subject_id
    returning h.last_seq, h.last_hash into v_seq, v_hash;
    if v_seq is null then
      raise exception 'audit chain % % has no head', v_subject, v_subject_id;
    end if;
  end if;

  insert into lending_private.audit_log (subject, subject_id, seq, table_name, row_id, action, old_values, new_values,
                                         actor, request_id, recorded_at, content_digest, row_hash)
  values (v_subject, v_subject_id, v_seq, tg_table_name, v_row_id, lower(tg_op), v_old_changed, v_new_changed,
          v_actor, v_request_id, v_recorded_at, v_digest, v_hash);
  return null;
end;
$$;
comment on function lending_private.record_audit() is
  'Trigger: appends the inserted or updated row to its subject''s audit chain, locking the chain head. Arguments: '
  'subject, subject id column, row id column.';

-- Refuses updates, deletes and truncation of append-only rows, whoever the role; attached as BEFORE triggers.
create function lending_private.refuse_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail(
    'append_only',
    format('%s on %s is not allowed: its rows are append-only', lower(tg_op), tg_table_name),
    jsonb_build_object('table', tg_table_name, 'operation', lower(tg_op)));
  return null;
end;
$$;
comment on function lending_private.refuse_change() is
  'Trigger: raises append_only for any update, delete or truncate it is attached to.';

create trigger _100_refuse_change before update or delete on lending_private.audit_log
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.audit_log
  for each statement execute function lending_private.refuse_change();

-- Recomputes a chain from its first row: every position present, every row linked to the one before it, every
-- content digest and hash as recomputed, and the last row matching the chain head. A redacted row no longer has
-- the content its digest was taken of, so only its links are checked.
create function lending_private.verify_audit_chain(subject text, subject_id bigint)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  r lending_private.audit_log;
  v_expected_seq integer := 1;
  v_prev bytea := lending_private.audit_genesis(subject, subject_id);
  v_head lending_private.audit_chain_head;
  v_problem text;
begin
  for r in
    select * from lending_private.audit_log as a
     where a.subject = verify_audit_chain.subject and a.subject_id = verify_audit_chain.subject_id
     order by a.seq
  loop
    v_problem := case
      when r.seq <> v_expected_seq then format('row %s is missing', v_expected_seq)
      when r.redacted_at is null
       and lending_private.audit_digest(r.subject, r.subject_id, r.table_name, r.row_id, r.action,
                                        r.old_values, r.new_values, r.actor, r.request_id, r.recorded_at)
           <> r.content_digest
        then 'the row''s content does not match its digest'
      when sha256(v_prev || r.content_digest) <> r.row_hash then 'the row does not link to the row before it'
    end;
    if v_problem is not null then
      return jsonb_build_object('verified', false, 'rows_checked', v_expected_seq - 1,
                                'broken_at_seq', v_expected_seq, 'problem', v_problem);
    end if;
    v_prev := r.row_hash;
    v_expected_seq := v_expected_seq + 1;
  end loop;

  select * into v_head from lending_private.audit_chain_head as h
   where h.subject = verify_audit_chain.subject and h.subject_id = verify_audit_chain.subject_id;
  if v_head.last_seq is distinct from v_expected_seq - 1 or v_head.last_hash is distinct from v_prev then
    return jsonb_build_object('verified', false, 'rows_checked', v_expected_seq - 1,
                              'broken_at_seq', v_expected_seq, 'problem', 'the chain ends before its head');
  end if;
  return jsonb_build_object('verified', true, 'rows_checked', v_expected_seq - 1,
                            'broken_at_seq', null, 'problem', null);
end;
$$;
comment on function lending_private.verify_audit_chain(text, bigint) is
  'Recomputes one audit chain; returns {verified, rows_checked, broken_at_seq, problem}.';

reset role;

-- migrate:down
set local role lending_owner;
drop function lending_private.verify_audit_chain(text, bigint);
drop table lending_private.audit_log;
drop function lending_private.refuse_change();
drop function lending_private.record_audit();
drop function lending_private.current_request_id();
drop function lending_private.current_actor();
drop function lending_private.audit_digest(text, bigint, text, text, text, jsonb, jsonb, text, text, timestamptz);
drop function lending_private.audit_genesis(text, bigint);
drop table lending_private.audit_chain_head;
reset role;
