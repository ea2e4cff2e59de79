-- An assessment as the API shows it, with each reason code's words beside it.
create or replace function lending_private.assessment_json(s lending_private.assessment)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'assessment_id', s.assessment_id,
    'application_id', s.application_id,
    'product_code', s.facts ->> 'product_code',
    'product_version', s.product_version,
    'recommendation', s.recommendation,
    'score', s.score,
    'risk_grade', s.risk_grade,
    'reason_codes', to_jsonb(s.reason_codes),
    'reasons', (select coalesce(jsonb_agg(jsonb_build_object('code', r.code, 'text', r.notice_text) order by c.n), '[]')
                  from unnest(s.reason_codes) with ordinality as c(code, n)
                  join lending_private.adverse_reason as r on r.code = c.code),
    'missing_facts', to_jsonb(s.missing_facts),
    'rules', s.rules,
    'offer', s.offer,
    'facts', s.facts,
    'assessed_by', s.assessed_by,
    'request_id', s.request_id,
    'assessed_at', lending_private.json_time(s.assessed_at));
end;
$$;
comment on function lending_private.assessment_json(lending_private.assessment) is
  'An assessment as the API shows it: recommendation, score, grade, reasons in words, rules, offer and the facts assessed.';
