-- A product version as the API shows it. Money and rates are decimal strings, never JSON numbers; the rules are in
-- order of importance (position), as an assessment evaluates them.
create or replace function lending_private.product_json(product_id bigint, version integer)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select jsonb_build_object(
      'product_code', p.product_code,
      'version', v.version,
      'current_version', p.current_version,
      'name', v.name,
      'currency', v.currency,
      'min_amount', v.min_amount::text,
      'max_amount', v.max_amount::text,
      'min_term_months', v.min_term_months,
      'max_term_months', v.max_term_months,
      'amortization', v.amortization,
      'repayment_frequency', v.repayment_frequency,
      'rates', (select jsonb_object_agg(r.risk_grade, r.annual_rate::text order by r.risk_grade)
                  from lending_private.product_rate as r
                 where r.product_id = v.product_id and r.version = v.version),
      'origination_fee_percent', v.origination_fee_percent::text,
      'origination_fee_cap', v.origination_fee_cap::text,
      'late_fee_flat', v.late_fee_flat::text,
      'late_fee_percent', v.late_fee_percent::text,
      'grace_days', v.grace_days,
      'write_off_days', v.write_off_days,
      'offer_valid_days', v.offer_valid_days,
      'agent_approval_limit', v.agent_approval_limit::text,
      'requires_assessment', v.requires_assessment,
      'rules', (select coalesce(jsonb_agg(jsonb_build_object(
                        'position', r.position, 'measure', r.measure, 'comparison', r.comparison,
                        'threshold', r.threshold::text, 'reason_code', r.reason_code, 'on_failure', r.on_failure)
                        order by r.position), '[]')
                  from lending_private.policy_rule as r
                 where r.product_id = v.product_id and r.version = v.version),
      'created_by', v.created_by,
      'created_at', lending_private.json_time(v.created_at))
    from lending_private.product_version as v
    join lending_private.product as p on p.product_id = v.product_id
   where v.product_id = product_json.product_id and v.version = product_json.version);
end;
$$;
comment on function lending_private.product_json(bigint, integer) is
  'A product version with its rates by grade and its policy rules, as the API shows it.';
