create or replace function lending.application_audit(application_id bigint, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_audit', actor, null);
begin
  if not exists (select from lending_private.application as a where a.application_id = application_audit.application_id) then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  return jsonb_build_object('application_id', application_id)
    || lending_private.verify_audit_chain('application', application_id)
    || jsonb_build_object('entries', (
         select coalesce(jsonb_agg(jsonb_build_object(
                  'seq', l.seq, 'table', l.table_name, 'row_id', l.row_id, 'action', l.action,
                  'old', l.old_values, 'new', l.new_values, 'actor', l.actor, 'request_id', l.request_id,
                  'recorded_at', lending_private.json_time(l.recorded_at), 'row_hash', encode(l.row_hash, 'hex'))
                  order by l.seq), '[]')
           from lending_private.audit_log as l
          where l.subject = 'application' and l.subject_id = application_audit.application_id));
end;
$$;
comment on function lending.application_audit(bigint, text) is
$$Reads an application's audit trail in order and verifies its hash chain.

Every insert and update of the application and its decisions is one entry: the table, the row, the action, the
changed fields before and after, the actor, the request id and the time. The chain is recomputed from the first
entry: verified is false, with broken_at_seq and problem, when any entry was edited, removed or reordered.
Returns: {application_id, verified, rows_checked, broken_at_seq, problem, entries: [...]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;
grant execute on function lending.application_audit(bigint, text) to lending_api;
