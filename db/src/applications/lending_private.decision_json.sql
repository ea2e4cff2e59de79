-- A decision as the API shows it, with its reason codes' words, what it relied on, and the second reviewer's answer
-- when it needed one.
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
    'reasons', (select coalesce(jsonb_agg(jsonb_build_object(
                                  'code', c.code,
                                  'text', case when r.requires_text then d.reason else r.notice_text end)
                                order by c.n), '[]')
                  from unnest(d.reason_codes) with ordinality as c(code, n)
                  join lending_private.adverse_reason as r on r.code = c.code),
    'assessment_id', d.assessment_id,
    'recommendation', d.recommendation,
    'overrides_recommendation', d.overrides_recommendation,
    'override_reason', d.override_reason,
    'decided_by', d.decided_by,
    'decided_by_kind', d.decided_by_kind,
    'model_name', d.model_name,
    'model_version', d.model_version,
    'confidence', d.confidence::text,
    'requires_confirmation', d.requires_confirmation,
    'confirmation', (select jsonb_build_object('confirmed', c.confirmed, 'reason', c.reason,
                                               'confirmed_by', c.confirmed_by,
                                               'confirmed_at', lending_private.json_time(c.confirmed_at))
                       from lending_private.confirmation as c where c.decision_id = d.decision_id),
    'request_id', d.request_id,
    'decided_at', lending_private.json_time(d.decided_at));
end;
$$;
comment on function lending_private.decision_json(lending_private.decision) is
  'A decision as the API shows it; `approved` is true, false, or null for manual_review.';
