create or replace function lending_private.decision_json(d lending_private.decision)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'decision_id', d.decision_id,
    'application_id', d.application_id,
    'outcome', d.outcome,
    'approved', case d.outcome when 'approved' then true when 'rejected' then false end,
    'reason', d.reason,
    'reason_codes', to_jsonb(d.reason_codes),
    'decided_by', d.decided_by,
    'request_id', d.request_id,
    'decided_at', lending_private.json_time(d.decided_at));
end;
$$;
comment on function lending_private.decision_json(lending_private.decision) is
  'A decision as the API shows it; `approved` is true, false, or null for manual_review.';
