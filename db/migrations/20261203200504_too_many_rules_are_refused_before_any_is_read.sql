-- migrate:up
set local role lending_owner;

-- db/src/underwriting/lending_private.product_errors.sql
-- The rules of a product's terms, over the product as a JSON document (lending_private.product_json's fields): what
-- lending.create_product and lending.update_product check before they write a version, every bad field at once.
-- Types first (a merge patch may carry anything), then values. rates and rules are checked when the document has
-- them: the version table's trigger checks a row, which holds neither (their tables have their own constraints).
create or replace function lending_private.product_errors(d jsonb)
returns jsonb[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_kinds constant jsonb := '{
    "name": "text", "currency": "text", "min_amount": "number", "max_amount": "number",
    "min_term_months": "integer", "max_term_months": "integer", "amortization": "text",
    "origination_fee_percent": "number", "origination_fee_cap": "number", "late_fee_flat": "number",
    "late_fee_percent": "number", "grace_days": "integer", "write_off_days": "integer",
    "offer_valid_days": "integer", "agent_approval_limit": "number", "requires_assessment": "boolean",
    "rates": "object", "rules": "array"}';
  v_errors jsonb[];
  v_rule jsonb;
  v_index integer := 0;
  v_grades text[] := array(select g.grade from lending_private.risk_grade as g order by g.grade);
  v_required constant text[] := array['name', 'min_amount', 'max_amount', 'min_term_months', 'max_term_months',
                                      'amortization', 'origination_fee_percent', 'late_fee_flat', 'late_fee_percent',
                                      'grace_days', 'write_off_days', 'offer_valid_days', 'agent_approval_limit',
                                      'requires_assessment'];
begin
  select array_agg(lending_private.field_error(k.key, coalesce(
           case when k.key = any (v_required) and coalesce(jsonb_typeof(d -> k.key), 'null') = 'null'
                then 'is required' end,
           lending_private.json_value_error(d -> k.key, k.kind))) order by k.key)
    into v_errors
    from jsonb_each_text(v_kinds) as k(key, kind);
  if num_nonnulls(variadic v_errors) > 0 then
    return v_errors;
  end if;

  v_errors := array[
    lending_private.field_error('name', lending_private.text_error(d ->> 'name', 200, true)),
    lending_private.field_error('currency', case when d ->> 'currency' is not null and not exists (
        select from lending_private.currency as c where c.code = d ->> 'currency')
      then lending_private.currency_error(d ->> 'currency') end),
    lending_private.field_error('min_amount', lending_private.money_error((d ->> 'min_amount')::numeric, 0.01, 10000000)),
    lending_private.field_error('max_amount', coalesce(
      lending_private.money_error((d ->> 'max_amount')::numeric, 0.01, 10000000),
      case when (d ->> 'max_amount')::numeric < (d ->> 'min_amount')::numeric then 'must be at least min_amount' end)),
    lending_private.field_error('min_term_months', lending_private.term_months_error((d ->> 'min_term_months')::integer)),
    lending_private.field_error('max_term_months', coalesce(
      lending_private.term_months_error((d ->> 'max_term_months')::integer),
      case when (d ->> 'max_term_months')::integer < (d ->> 'min_term_months')::integer
           then 'must be at least min_term_months' end)),
    lending_private.field_error('amortization', case when d ->> 'amortization' not in ('annuity', 'equal_principal')
                                                     then 'must be annuity or equal_principal' end),
    lending_private.field_error('origination_fee_percent',
      lending_private.number_error((d ->> 'origination_fee_percent')::numeric, 0, 50, 4)),
    lending_private.field_error('origination_fee_cap',
      lending_private.money_error((d ->> 'origination_fee_cap')::numeric, 0, 10000000)),
    lending_private.field_error('late_fee_flat', lending_private.money_error((d ->> 'late_fee_flat')::numeric, 0, 100000)),
    lending_private.field_error('late_fee_percent',
      lending_private.number_error((d ->> 'late_fee_percent')::numeric, 0, 100, 4)),
    lending_private.field_error('grace_days', lending_private.number_error((d ->> 'grace_days')::numeric, 0, 90)),
    lending_private.field_error('write_off_days',
      lending_private.number_error((d ->> 'write_off_days')::numeric, 30, 3650)),
    lending_private.field_error('offer_valid_days',
      lending_private.number_error((d ->> 'offer_valid_days')::numeric, 1, 365)),
    lending_private.field_error('agent_approval_limit',
      lending_private.money_error((d ->> 'agent_approval_limit')::numeric, 0, 10000000))];

  if d ? 'rates' then
    v_errors := v_errors || lending_private.field_error('rates', case
      when jsonb_typeof(d -> 'rates') is distinct from 'object' then 'is required'
      when (select array_agg(k order by k) from jsonb_object_keys(d -> 'rates') as k) is distinct from v_grades
        then format('must give a rate for each risk grade, %s, and no other', array_to_string(v_grades, ', '))
      when exists (select from jsonb_each(d -> 'rates') as r
                    where lending_private.json_value_error(r.value, 'number') is not null or r.value = 'null')
        then 'each rate must be a percent written as a number, such as 7.99'
      else (select min(lending_private.number_error((r.value #>> '{}')::numeric, 0, 100, 4))
              from jsonb_each(d -> 'rates') as r) end);
  end if;

  if d ? 'rules' and jsonb_typeof(d -> 'rules') is distinct from 'array' then
    v_errors := v_errors || lending_private.field_error('rules', 'is required: an array of rules, [] for none');
  elsif d ? 'rules' and jsonb_array_length(d -> 'rules') > 50 then
    -- Refused before any rule is read: a body of thousands would otherwise be checked rule by rule.
    v_errors := v_errors || lending_private.field_error('rules', 'must hold at most 50 rules');
  elsif d ? 'rules' then
    for v_rule in select r from jsonb_array_elements(d -> 'rules') as r loop
      v_errors := v_errors || case
        when jsonb_typeof(v_rule) <> 'object'
          or exists (select from jsonb_object_keys(v_rule) as k
                      where k not in ('measure', 'comparison', 'threshold', 'reason_code', 'on_failure'))
          then array[lending_private.field_error(format('rules[%s]', v_index),
                 'must be an object of measure, comparison, threshold, reason_code and on_failure')]
        else array[
          lending_private.field_error(format('rules[%s].measure', v_index), case
            when not exists (select from lending_private.policy_measure as m where m.measure = v_rule ->> 'measure')
              then format('must be one of %s', (select string_agg(m.measure, ', ' order by m.measure)
                                                  from lending_private.policy_measure as m)) end),
          lending_private.field_error(format('rules[%s].comparison', v_index),
            case when v_rule ->> 'comparison' is null or v_rule ->> 'comparison' not in ('>=', '<=')
                 then 'must be >= or <=' end),
          lending_private.field_error(format('rules[%s].threshold', v_index), case
            when v_rule -> 'threshold' is null or v_rule -> 'threshold' = 'null' then 'is required'
            else coalesce(lending_private.json_value_error(v_rule -> 'threshold', 'number'),
                          lending_private.number_error((v_rule ->> 'threshold')::numeric, 0, 100000000, 4)) end),
          lending_private.field_error(format('rules[%s].reason_code', v_index), case
            when v_rule ->> 'reason_code' = 'other' then 'must be a specific reason, not other'
            when not exists (select from lending_private.adverse_reason as r where r.code = v_rule ->> 'reason_code')
              then 'must be one of the reason codes (lending.list_reason_codes)' end),
          lending_private.field_error(format('rules[%s].on_failure', v_index),
            case when v_rule ->> 'on_failure' is null or v_rule ->> 'on_failure' not in ('reject', 'refer')
                 then 'must be reject or refer' end)]
      end;
      v_index := v_index + 1;
    end loop;
  end if;
  return v_errors;
end;
$$;
comment on function lending_private.product_errors(jsonb) is
  'Field errors of a product document (its terms, and its rates and rules when it has them); nulls where fine.';

reset role;

-- migrate:down
set local role lending_owner;

-- db/src/underwriting/lending_private.product_errors.sql
-- The rules of a product's terms, over the product as a JSON document (lending_private.product_json's fields): what
-- lending.create_product and lending.update_product check before they write a version, every bad field at once.
-- Types first (a merge patch may carry anything), then values. rates and rules are checked when the document has
-- them: the version table's trigger checks a row, which holds neither (their tables have their own constraints).
create or replace function lending_private.product_errors(d jsonb)
returns jsonb[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_kinds constant jsonb := '{
    "name": "text", "currency": "text", "min_amount": "number", "max_amount": "number",
    "min_term_months": "integer", "max_term_months": "integer", "amortization": "text",
    "origination_fee_percent": "number", "origination_fee_cap": "number", "late_fee_flat": "number",
    "late_fee_percent": "number", "grace_days": "integer", "write_off_days": "integer",
    "offer_valid_days": "integer", "agent_approval_limit": "number", "requires_assessment": "boolean",
    "rates": "object", "rules": "array"}';
  v_errors jsonb[];
  v_rule jsonb;
  v_index integer := 0;
  v_grades text[] := array(select g.grade from lending_private.risk_grade as g order by g.grade);
  v_required constant text[] := array['name', 'min_amount', 'max_amount', 'min_term_months', 'max_term_months',
                                      'amortization', 'origination_fee_percent', 'late_fee_flat', 'late_fee_percent',
                                      'grace_days', 'write_off_days', 'offer_valid_days', 'agent_approval_limit',
                                      'requires_assessment'];
begin
  select array_agg(lending_private.field_error(k.key, coalesce(
           case when k.key = any (v_required) and coalesce(jsonb_typeof(d -> k.key), 'null') = 'null'
                then 'is required' end,
           lending_private.json_value_error(d -> k.key, k.kind))) order by k.key)
    into v_errors
    from jsonb_each_text(v_kinds) as k(key, kind);
  if num_nonnulls(variadic v_errors) > 0 then
    return v_errors;
  end if;

  v_errors := array[
    lending_private.field_error('name', lending_private.text_error(d ->> 'name', 200, true)),
    lending_private.field_error('currency', case when d ->> 'currency' is not null and not exists (
        select from lending_private.currency as c where c.code = d ->> 'currency')
      then lending_private.currency_error(d ->> 'currency') end),
    lending_private.field_error('min_amount', lending_private.money_error((d ->> 'min_amount')::numeric, 0.01, 10000000)),
    lending_private.field_error('max_amount', coalesce(
      lending_private.money_error((d ->> 'max_amount')::numeric, 0.01, 10000000),
      case when (d ->> 'max_amount')::numeric < (d ->> 'min_amount')::numeric then 'must be at least min_amount' end)),
    lending_private.field_error('min_term_months', lending_private.term_months_error((d ->> 'min_term_months')::integer)),
    lending_private.field_error('max_term_months', coalesce(
      lending_private.term_months_error((d ->> 'max_term_months')::integer),
      case when (d ->> 'max_term_months')::integer < (d ->> 'min_term_months')::integer
           then 'must be at least min_term_months' end)),
    lending_private.field_error('amortization', case when d ->> 'amortization' not in ('annuity', 'equal_principal')
                                                     then 'must be annuity or equal_principal' end),
    lending_private.field_error('origination_fee_percent',
      lending_private.number_error((d ->> 'origination_fee_percent')::numeric, 0, 50, 4)),
    lending_private.field_error('origination_fee_cap',
      lending_private.money_error((d ->> 'origination_fee_cap')::numeric, 0, 10000000)),
    lending_private.field_error('late_fee_flat', lending_private.money_error((d ->> 'late_fee_flat')::numeric, 0, 100000)),
    lending_private.field_error('late_fee_percent',
      lending_private.number_error((d ->> 'late_fee_percent')::numeric, 0, 100, 4)),
    lending_private.field_error('grace_days', lending_private.number_error((d ->> 'grace_days')::numeric, 0, 90)),
    lending_private.field_error('write_off_days',
      lending_private.number_error((d ->> 'write_off_days')::numeric, 30, 3650)),
    lending_private.field_error('offer_valid_days',
      lending_private.number_error((d ->> 'offer_valid_days')::numeric, 1, 365)),
    lending_private.field_error('agent_approval_limit',
      lending_private.money_error((d ->> 'agent_approval_limit')::numeric, 0, 10000000))];

  if d ? 'rates' then
    v_errors := v_errors || lending_private.field_error('rates', case
      when jsonb_typeof(d -> 'rates') is distinct from 'object' then 'is required'
      when (select array_agg(k order by k) from jsonb_object_keys(d -> 'rates') as k) is distinct from v_grades
        then format('must give a rate for each risk grade, %s, and no other', array_to_string(v_grades, ', '))
      when exists (select from jsonb_each(d -> 'rates') as r
                    where lending_private.json_value_error(r.value, 'number') is not null or r.value = 'null')
        then 'each rate must be a percent written as a number, such as 7.99'
      else (select min(lending_private.number_error((r.value #>> '{}')::numeric, 0, 100, 4))
              from jsonb_each(d -> 'rates') as r) end);
  end if;

  if d ? 'rules' and jsonb_typeof(d -> 'rules') is distinct from 'array' then
    v_errors := v_errors || lending_private.field_error('rules', 'is required: an array of rules, [] for none');
  elsif d ? 'rules' then
    if jsonb_array_length(d -> 'rules') > 50 then
      v_errors := v_errors || lending_private.field_error('rules', 'must hold at most 50 rules');
    end if;
    for v_rule in select r from jsonb_array_elements(d -> 'rules') as r loop
      v_errors := v_errors || case
        when jsonb_typeof(v_rule) <> 'object'
          or exists (select from jsonb_object_keys(v_rule) as k
                      where k not in ('measure', 'comparison', 'threshold', 'reason_code', 'on_failure'))
          then array[lending_private.field_error(format('rules[%s]', v_index),
                 'must be an object of measure, comparison, threshold, reason_code and on_failure')]
        else array[
          lending_private.field_error(format('rules[%s].measure', v_index), case
            when not exists (select from lending_private.policy_measure as m where m.measure = v_rule ->> 'measure')
              then format('must be one of %s', (select string_agg(m.measure, ', ' order by m.measure)
                                                  from lending_private.policy_measure as m)) end),
          lending_private.field_error(format('rules[%s].comparison', v_index),
            case when v_rule ->> 'comparison' is null or v_rule ->> 'comparison' not in ('>=', '<=')
                 then 'must be >= or <=' end),
          lending_private.field_error(format('rules[%s].threshold', v_index), case
            when v_rule -> 'threshold' is null or v_rule -> 'threshold' = 'null' then 'is required'
            else coalesce(lending_private.json_value_error(v_rule -> 'threshold', 'number'),
                          lending_private.number_error((v_rule ->> 'threshold')::numeric, 0, 100000000, 4)) end),
          lending_private.field_error(format('rules[%s].reason_code', v_index), case
            when v_rule ->> 'reason_code' = 'other' then 'must be a specific reason, not other'
            when not exists (select from lending_private.adverse_reason as r where r.code = v_rule ->> 'reason_code')
              then 'must be one of the reason codes (lending.list_reason_codes)' end),
          lending_private.field_error(format('rules[%s].on_failure', v_index),
            case when v_rule ->> 'on_failure' is null or v_rule ->> 'on_failure' not in ('reject', 'refer')
                 then 'must be reject or refer' end)]
      end;
      v_index := v_index + 1;
    end loop;
  end if;
  return v_errors;
end;
$$;
comment on function lending_private.product_errors(jsonb) is
  'Field errors of a product document (its terms, and its rates and rules when it has them); nulls where fine.';

reset role;
