-- The trigger behind every business table: after insert or update, record the row (or the fields that changed).
-- Arguments: the chain's subject, the column holding the subject id, and the column holding the row's id (the
-- same column on the subject's own table, whose insert starts the chain); then the row's money columns, if any.
-- Money is recorded as the API shows amounts, a decimal string with two places (lending_private.application_json):
-- to_jsonb() makes a numeric a JSON number, which most JSON readers turn into a binary float. Rows recorded before
-- money was written so keep their numbers: their digests were taken of them, and history is not rewritten.
-- SECURITY DEFINER so that whoever may write a business table also writes its audit, and TimeZone UTC so that
-- timestamps inside old_values/new_values read the same whoever wrote them.
create or replace function lending_private.record_audit()
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
  v_new_changed jsonb;
  v_actor text := lending_private.current_actor();
  v_request_id text := lending_private.current_request_id();
  v_recorded_at timestamptz := now();
  v_digest bytea;
  v_seq integer;
  v_hash bytea;
begin
  if tg_op = 'UPDATE' then
    v_old := to_jsonb(old);
  end if;
  for i in 3 .. tg_nargs - 1 loop
    v_new := jsonb_set(v_new, array[tg_argv[i]],
                       coalesce(to_jsonb(round((v_new ->> tg_argv[i])::numeric, 2)::text), 'null'));
    if tg_op = 'UPDATE' then
      v_old := jsonb_set(v_old, array[tg_argv[i]],
                         coalesce(to_jsonb(round((v_old ->> tg_argv[i])::numeric, 2)::text), 'null'));
    end if;
  end loop;
  v_new_changed := v_new;
  if tg_op = 'UPDATE' then
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
  'subject, subject id column, row id column, then any money columns (recorded as decimal strings).';
