-- Writes a product version from a document that lending_private.product_errors found valid: the terms, a rate per
-- grade and the rules, positioned in the order given (the order of importance).
create or replace function lending_private.insert_product_version(product_id bigint, version integer, d jsonb)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into lending_private.product_version (
    product_id, version, name, currency, min_amount, max_amount, min_term_months, max_term_months, amortization,
    origination_fee_percent, origination_fee_cap, late_fee_flat, late_fee_percent, grace_days, write_off_days,
    offer_valid_days, agent_approval_limit, requires_assessment, created_by)
  values (
    product_id, version, d ->> 'name', d ->> 'currency', (d ->> 'min_amount')::numeric, (d ->> 'max_amount')::numeric,
    (d ->> 'min_term_months')::integer, (d ->> 'max_term_months')::integer, d ->> 'amortization',
    (d ->> 'origination_fee_percent')::numeric, (d ->> 'origination_fee_cap')::numeric,
    (d ->> 'late_fee_flat')::numeric, (d ->> 'late_fee_percent')::numeric, (d ->> 'grace_days')::integer,
    (d ->> 'write_off_days')::integer, (d ->> 'offer_valid_days')::integer,
    (d ->> 'agent_approval_limit')::numeric, (d ->> 'requires_assessment')::boolean,
    lending_private.current_actor());

  insert into lending_private.product_rate (product_id, version, risk_grade, annual_rate)
  select insert_product_version.product_id, insert_product_version.version, r.key, (r.value #>> '{}')::numeric
    from jsonb_each(d -> 'rates') as r;

  insert into lending_private.policy_rule (product_id, version, position, measure, comparison, threshold, reason_code,
                                           on_failure)
  select insert_product_version.product_id, insert_product_version.version, r.position, r.rule ->> 'measure',
         r.rule ->> 'comparison', (r.rule ->> 'threshold')::numeric, r.rule ->> 'reason_code', r.rule ->> 'on_failure'
    from jsonb_array_elements(d -> 'rules') with ordinality as r(rule, position);
end;
$$;
comment on function lending_private.insert_product_version(bigint, integer, jsonb) is
  'Writes a product version, its rates and its rules from a valid product document.';
