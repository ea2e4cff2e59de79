-- The assessment itself: a product version's policy applied to an application's facts. It reads the facts given and
-- the product's rows, and nothing else: no clock, no random, no session setting (amounts are numeric, dates are
-- compared as dates), so the same facts under the same version always give the same result (a test reads this
-- source for the clock and randomness functions, and runs it under several TimeZone settings).
--
-- In order:
-- 1. The score and grade (lending_private.risk_score, lending_private.risk_grade), the grade's rate, and from it the
--    offer (lending_private.offer_terms: installment, totals, fee, APR). No offer without a grade, and a term and
--    an amount within the product.
-- 2. The rules, in order of importance: the product's own limits (amount and term in range) first, then its policy
--    rules by position. A rule whose measure lacks a fact is `missing`; one that cannot be measured for another
--    reason (a ratio over an income of 0 fails; debt-to-income without an offer is `skipped`) says so.
-- 3. The recommendation: reject when a reject rule failed; else refer when a refer rule failed or a fact is missing
--    (one the rules need, or one every assessment needs: the term, the credit score, the date of birth); else
--    approve. Its reasons are the failed rules' codes in rule order, reject rules' first, each once, at most
--    four (Regulation B asks for the principal reasons, and its commentary finds more than four unlikely to help the
--    applicant); a referral for missing facts starts with credit_application_incomplete.
create or replace function lending_private.evaluate_policy(facts jsonb, product_id bigint, version integer)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_product lending_private.product_version;
  v_code text;
  v_amount numeric := (facts ->> 'amount')::numeric;
  v_term integer := (facts ->> 'term_months')::integer;
  v_income numeric := (facts ->> 'annual_income')::numeric;
  v_debt numeric := (facts ->> 'monthly_debt_payments')::numeric;
  v_missing text[];
  v_score integer;
  v_grade text;
  v_rate numeric;
  v_installment numeric;
  v_offer jsonb;
  v_rules jsonb;
  v_recommendation text;
  v_reasons text[];
begin
  select * into strict v_product from lending_private.product_version as v
   where v.product_id = evaluate_policy.product_id and v.version = evaluate_policy.version;
  select p.product_code into strict v_code from lending_private.product as p
   where p.product_id = evaluate_policy.product_id;

  v_missing := lending_private.missing_facts(facts, v_product.product_id, v_product.version);

  v_score := lending_private.risk_score((facts ->> 'credit_score')::integer, (facts ->> 'income_verified')::boolean,
                                        (facts ->> 'months_employed')::integer);
  select g.grade into v_grade from lending_private.risk_grade as g
   where g.min_score <= v_score order by g.min_score desc limit 1;
  select r.annual_rate into v_rate from lending_private.product_rate as r
   where r.product_id = v_product.product_id and r.version = v_product.version and r.risk_grade = v_grade;

  if v_rate is not null and v_term between v_product.min_term_months and v_product.max_term_months
     and v_amount between v_product.min_amount and v_product.max_amount then
    v_offer := lending_private.offer_terms(v_product, v_code, v_amount, facts ->> 'currency', v_term, v_grade, v_rate);
    v_installment := (v_offer ->> 'installment')::numeric;
  end if;

  with measured as (
    -- The product's limits, always first.
    select 0 as sort, 1 as position, 'product' as source, 'amount' as measure, '>=' as comparison,
           v_product.min_amount as threshold, v_amount as value, null::text as unmeasured,
           'amount_below_product_minimum' as reason_code, 'reject' as on_failure
    union all
    select 0, 2, 'product', 'amount', '<=', v_product.max_amount, v_amount, null,
           'amount_exceeds_product_limit', 'reject'
    union all
    select 0, 3, 'product', 'term_months', '>=', v_product.min_term_months, v_term,
           case when v_term is null then 'missing' end, 'term_outside_product_limits', 'reject'
    union all
    select 0, 4, 'product', 'term_months', '<=', v_product.max_term_months, v_term,
           case when v_term is null then 'missing' end, 'term_outside_product_limits', 'reject'
    union all
    select 1, r.position, 'policy', r.measure, r.comparison, r.threshold, m.value,
           case when exists (select from unnest(pm.needs_facts) as f(fact) where f.fact = any (v_missing))
                  then 'missing'
                when m.value is null then m.unmeasured end,
           r.reason_code, r.on_failure
      from lending_private.policy_rule as r
      join lending_private.policy_measure as pm on pm.measure = r.measure
      cross join lateral (select
          case r.measure
            when 'credit_score' then (facts ->> 'credit_score')::numeric
            when 'debt_to_income' then case when v_income > 0 and v_installment is not null
                                            then round((v_debt + v_installment) / (v_income / 12), 4) end
            when 'loan_to_income' then case when v_income > 0 then round(v_amount / v_income, 4) end
            when 'months_employed' then (facts ->> 'months_employed')::numeric
            when 'unverified_amount' then case when (facts ->> 'income_verified')::boolean then 0 else v_amount end
            when 'identity_verified' then case when (facts ->> 'identity_verified')::boolean then 1 else 0 end
          end as value,
          case when r.measure in ('debt_to_income', 'loan_to_income') and v_income = 0 then 'fail'
               else 'skipped' end as unmeasured) as m
     where r.product_id = v_product.product_id and r.version = v_product.version
  ),
  evaluated as (
    select m.*, coalesce(m.unmeasured, case
             when m.comparison = '>=' and m.value >= m.threshold then 'pass'
             when m.comparison = '<=' and m.value <= m.threshold then 'pass'
             else 'fail' end) as result
      from measured as m
  )
  select jsonb_agg(jsonb_build_object(
           'source', e.source, 'position', e.position, 'measure', e.measure, 'comparison', e.comparison,
           'threshold', e.threshold::text, 'value', e.value::text, 'result', e.result,
           'reason_code', e.reason_code, 'on_failure', e.on_failure) order by e.sort, e.position),
         case when bool_or(e.result = 'fail' and e.on_failure = 'reject') then 'reject'
              when bool_or(e.result in ('fail', 'missing')) or cardinality(v_missing) > 0 then 'refer'
              else 'approve' end
    into v_rules, v_recommendation
    from evaluated as e;

  select array(
    select c.code
      from (select 'credit_application_incomplete' as code, 0 as rank
             where v_recommendation = 'refer' and cardinality(v_missing) > 0
            union all
            select r.rule ->> 'reason_code', case when r.rule ->> 'on_failure' = 'reject' then 1000 else 2000 end
                                             + r.n
              from jsonb_array_elements(v_rules) with ordinality as r(rule, n)
             where r.rule ->> 'result' = 'fail') as c
     group by c.code
     order by min(c.rank)
     limit 4) into v_reasons;

  return jsonb_build_object(
    'product_code', v_code,
    'product_version', v_product.version,
    'rules', v_rules,
    'missing_facts', to_jsonb(v_missing),
    'score', v_score,
    'risk_grade', v_grade,
    'recommendation', v_recommendation,
    'reason_codes', to_jsonb(v_reasons),
    'offer', v_offer);
end;
$$;
comment on function lending_private.evaluate_policy(jsonb, bigint, integer) is
  'Assesses facts (lending_private.application_facts) under a product version: rules, score, grade, recommendation, '
  'reasons and offer. Reads no clock and no randomness: the same inputs give the same result.';
