-- migrate:up
set local role lending_owner;

-- db/src/core/lending_private.id_cursor.sql
-- The cursor of a page of rows by id (lending.list_applications, lending.review_queue): the base64 of the last id of
-- the page, in plain digits. Clients treat it as opaque and pass it back as `after`; lending_private.cursor_id reads
-- it. A standard-body SQL function, inlined where it is called.
create or replace function lending_private.id_cursor(id bigint)
returns text
language sql
immutable
begin atomic
  select encode(id::text::bytea, 'base64');
end;
comment on function lending_private.id_cursor(bigint) is 'The cursor after the row with this id (base64 of its digits).';

-- db/src/core/lending_private.cursor_id.sql
-- The id a cursor of lending_private.id_cursor names, or null when it is not exactly one: a positive bigint in
-- plain digits, whatever PostgreSQL would read as a number ("0x14", "20 ", "+20", "2_0") naming no position.
create or replace function lending_private.cursor_id(cursor text)
returns bigint
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_digits text := substring(lending_private.cursor_text(cursor) from '^[1-9][0-9]{0,18}$');
begin
  return case when v_digits::numeric <= 9223372036854775807 then v_digits::bigint end;
end;
$$;
comment on function lending_private.cursor_id(text) is
  'The id a page cursor (lending_private.id_cursor) names, or null when it names none.';

-- db/src/applications/lending_private.missing_facts.sql
drop function lending_private.missing_facts(lending_private.application);
-- The facts an assessment under a product version needs and `facts` (lending_private.application_facts) lacks: the
-- term (an offer needs it), the credit score (the risk grade comes from it) and the date of birth (only adults
-- borrow), and whatever the version's policy rules measure (lending_private.policy_measure.needs_facts). The
-- assessment lists them, and the application shows them for its product's version in force.
create or replace function lending_private.missing_facts(facts jsonb, product_id bigint, version integer)
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.policy_rule as r
              join lending_private.policy_measure as m on m.measure = r.measure
             where r.product_id = missing_facts.product_id and r.version = missing_facts.version) as f
     where coalesce(facts -> f.fact, 'null') = 'null'
     order by f.fact);
end;
$$;
comment on function lending_private.missing_facts(jsonb, bigint, integer) is
  'The facts an assessment under a product version needs and the given facts lack, by name.';

-- db/src/applications/lending_private.application_json.sql
-- The application document, which every read and write returns. The latest decision is the last of the history
-- rather than a second query, and the next statuses are read in the document's own query rather than through
-- next_statuses() (the same query, as a PL/pgSQL call per document): get_application 575k -> 540k instructions.
-- Amounts are decimal strings with two places, never JSON numbers. The underwriting facts sit beside the loan's own
-- fields, flat, as update_application's merge patch names them.
create or replace function lending_private.application_json(application_id bigint, with_decisions boolean default true)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select jsonb_build_object(
      'application_id', a.application_id,
      'status', a.status,
      'next_statuses', (select coalesce(to_jsonb(array_agg(t.to_status order by t.to_status)), '[]')
                          from lending_private.status_transition as t where t.from_status = a.status),
      'amount', round(a.amount, 2)::text,
      'currency', a.currency,
      'term_months', a.term_months,
      'purpose', a.purpose,
      'external_ref', a.external_ref,
      'withdrawal_reason', a.withdrawal_reason,
      'applicant_id', p.party_id,
      'applicant_name', p.name,
      'applicant', jsonb_build_object('applicant_id', p.party_id, 'name', p.name, 'email', p.email,
                                      'phone', p.phone, 'external_ref', p.external_ref),
      'version', a.version,
      'created_at', lending_private.json_time(a.created_at),
      'updated_at', lending_private.json_time(a.updated_at),
      'product_code', a.product_code,
      'annual_income', a.annual_income::text,
      'monthly_debt_payments', a.monthly_debt_payments::text,
      'employment_status', a.employment_status,
      'months_employed', a.months_employed,
      'housing_status', a.housing_status,
      'credit_score', a.credit_score,
      'credit_score_source', a.credit_score_source,
      'credit_score_date', to_char(a.credit_score_date, 'YYYY-MM-DD'),
      'date_of_birth', to_char(a.date_of_birth, 'YYYY-MM-DD'),
      'income_verified', a.income_verified,
      'identity_verified', a.identity_verified,
      'missing_facts', to_jsonb(lending_private.missing_facts(lending_private.application_facts(a),
                                                              pr.product_id, pr.current_version)))
    || case when with_decisions then jsonb_build_object(
         'assessment', (select lending_private.assessment_json(s)
                               || jsonb_build_object('current', s.facts = lending_private.application_facts(a))
                          from lending_private.assessment as s
                         where s.application_id = a.application_id order by s.assessment_id desc limit 1),
         'offer', (select lending_private.offer_json(o) from lending_private.offer as o
                    where o.application_id = a.application_id order by o.offer_id desc limit 1),
         'review_claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                           where c.application_id = a.application_id and c.expires_at > now()
                           order by c.claim_id desc limit 1))
       else '{}' end
    || case when with_decisions then (
         select jsonb_build_object('decision', h.decisions -> -1, 'decisions', h.decisions)
           from (select coalesce(jsonb_agg(lending_private.decision_json(d) order by d.decision_id), '[]') as decisions
                   from lending_private.decision as d where d.application_id = a.application_id) as h)
       else '{}' end
  from lending_private.application as a
  join lending_private.party as p on p.party_id = a.applicant_id
  join lending_private.product as pr on pr.product_code = a.product_code
  where a.application_id = application_json.application_id);
end;
$$;
comment on function lending_private.application_json(bigint, boolean) is
  'An application with its applicant, product and facts and, unless with_decisions is false, its latest decision, '
  'decision history, latest assessment, offer and review claim.';

-- db/src/applications/lending.list_applications.sql
create or replace function lending.list_applications(
  status text default null,
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_after bigint := lending_private.cursor_id(after);
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('status', case
      when status is not null and not exists (select from lending_private.application_status as s
                                               where s.status = list_applications.status)
        then format('must be one of %s',
                    (select string_agg(s.status, ', ' order by s.status) from lending_private.application_status as s))
      end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id desc) into v_ids
    from (select a.application_id from lending_private.application as a
           where (list_applications.status is null or a.status = list_applications.status)
             and (v_after is null or a.application_id < v_after)
           order by a.application_id desc
           limit "limit" + 1) as a;

  if cardinality(v_ids) > "limit" then
    v_next := lending_private.id_cursor(v_ids["limit"]);
    v_ids := v_ids[1:"limit"];
  end if;
  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(lending_private.application_json(i.id, false) order by i.id desc), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.list_applications(text, integer, text, text) is
$$Lists applications newest first, one page at a time.

status filters by status; limit is 1-100 (default 50); after is the next_cursor of the previous page. Items carry
the application without its decision history; next_cursor is null on the last page.
Returns: {items: [application], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_applications(text, integer, text, text) to lending_api;

-- db/src/underwriting/lending_private.offer_terms.sql
-- The terms an offer of `amount` over `term_months` at `annual_rate` under a product version would fix: the
-- schedule's first installment (the level one of an annuity, the largest of equal principal), total interest and
-- total repaid, the origination fee (its percent of the amount, at most its cap), and the APR of the payments against
-- the amount less the fee (Regulation Z Appendix J). Without a term there is no schedule: those are null. An
-- assessment's offer and the offer of an approval without one are both made here.
create or replace function lending_private.offer_terms(
  product lending_private.product_version, product_code text, amount numeric, currency text, term_months integer,
  risk_grade text, annual_rate numeric)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_fee numeric := least(round(amount * product.origination_fee_percent / 100, 2),
                         coalesce(product.origination_fee_cap, amount));
  v_installment numeric;
  v_total_interest numeric;
  v_total_paid numeric;
  v_payments numeric[];
begin
  if term_months is not null then
    select (array_agg(s.payment order by s.period))[1], sum(s.interest), sum(s.payment),
           array_agg(s.payment order by s.period)
      into v_installment, v_total_interest, v_total_paid, v_payments
      from lending_private.repayment_schedule(amount, annual_rate, term_months, product.amortization) as s;
  end if;
  return jsonb_build_object(
    'product_code', product_code,
    'product_version', product.version,
    'amount', round(amount, 2)::text,
    'currency', currency,
    'risk_grade', risk_grade,
    'annual_rate', annual_rate::text,
    'term_months', term_months,
    'amortization', product.amortization,
    'installment', v_installment::text,
    'total_interest', v_total_interest::text,
    'origination_fee', v_fee::text,
    'total_repayable', v_total_paid::text,
    'apr', case when v_payments is not null and amount > v_fee
                then lending_private.annual_percentage_rate(amount - v_fee, v_payments)::text end,
    'valid_days', product.offer_valid_days);
end;
$$;
comment on function lending_private.offer_terms(lending_private.product_version, text, numeric, text, integer, text, numeric) is
  'The terms of an offer under a product version: installment, totals, fee and APR (null without a term).';

-- db/src/underwriting/lending_private.evaluate_policy.sql
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

-- db/src/underwriting/lending_private.make_offer.sql
-- Fixes the offer of an approval: the terms of the assessment the decision relied on, or, when it relied on none
-- (a product that needs no assessment), the product's terms in force at its grade E rate, the most cautious, for an
-- applicant with no grade. Valid for the product's offer_valid_days from now.
create or replace function lending_private.make_offer(decision lending_private.decision)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_application lending_private.application;
  v_offer jsonb;
  v_product lending_private.product;
  v_version lending_private.product_version;
  v_rate numeric;
begin
  select * into strict v_application from lending_private.application as a
   where a.application_id = decision.application_id;
  -- An assessment that could make no offer (no grade, or a term outside the product) kept a null one; an approval
  -- overriding it takes the product's terms as a decision without an assessment does.
  select nullif(s.offer, 'null') into v_offer from lending_private.assessment as s
   where s.assessment_id = decision.assessment_id;
  if v_offer is null then
    select * into strict v_product from lending_private.product as p where p.product_code = v_application.product_code;
    select * into strict v_version from lending_private.product_version as v
     where v.product_id = v_product.product_id and v.version = v_product.current_version;
    select r.annual_rate into strict v_rate from lending_private.product_rate as r
     where r.product_id = v_version.product_id and r.version = v_version.version and r.risk_grade = 'E';
    v_offer := lending_private.offer_terms(v_version, v_application.product_code, v_application.amount,
                                           v_application.currency, v_application.term_months, null, v_rate);
  end if;

  insert into lending_private.offer (
    application_id, decision_id, assessment_id, product_code, product_version, amount, currency, risk_grade,
    annual_rate, term_months, amortization, installment, total_interest, origination_fee, total_repayable, apr,
    expires_at)
  values (
    decision.application_id, decision.decision_id, decision.assessment_id, v_offer ->> 'product_code',
    (v_offer ->> 'product_version')::integer, (v_offer ->> 'amount')::numeric, v_offer ->> 'currency',
    v_offer ->> 'risk_grade', (v_offer ->> 'annual_rate')::numeric, (v_offer ->> 'term_months')::integer,
    v_offer ->> 'amortization', (v_offer ->> 'installment')::numeric, (v_offer ->> 'total_interest')::numeric,
    (v_offer ->> 'origination_fee')::numeric, (v_offer ->> 'total_repayable')::numeric,
    (v_offer ->> 'apr')::numeric, now() + make_interval(days => (v_offer ->> 'valid_days')::integer));
end;
$$;
comment on function lending_private.make_offer(lending_private.decision) is
  'Fixes the offer of an approval from its assessment, or from the product''s terms at grade E without one.';

-- db/src/underwriting/lending.review_queue.sql
-- Oldest first by filing order, which the status index reads backwards; a page is at most 100 applications.
create or replace function lending.review_queue(
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('claim_review', actor, null);
  v_after bigint := lending_private.cursor_id(after);
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id) into v_ids
    from (select a.application_id from lending_private.application as a
           where a.status = 'manual_review' and (v_after is null or a.application_id > v_after)
           order by a.application_id
           limit "limit" + 1) as a;
  if cardinality(v_ids) > "limit" then
    v_next := lending_private.id_cursor(v_ids["limit"]);
    v_ids := v_ids[1:"limit"];
  end if;

  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(
                  lending_private.application_json(i.id, false)
                  || jsonb_build_object(
                       'assessment', (select lending_private.assessment_json(s)
                                             || jsonb_build_object('current',
                                                                   s.facts = lending_private.application_facts(a))
                                        from lending_private.assessment as s
                                        join lending_private.application as a on a.application_id = s.application_id
                                       where s.application_id = i.id order by s.assessment_id desc limit 1),
                       'claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                                  where c.application_id = i.id and c.expires_at > now()
                                  order by c.claim_id desc limit 1))
                  order by i.id), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.review_queue(integer, text, text) is
$$Lists the applications waiting in manual_review, oldest first, with their latest assessment and current claim.

limit is 1-100 (default 50); after is the next_cursor of the previous page. The assessment says whether it is
current (the facts unchanged since); a decision needs a current one. claim is null when nobody holds an unexpired
claim: claim the application (claim_review) before deciding it.
Returns: {items: [application with assessment and claim], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.review_queue(integer, text, text) to lending_api;

-- db/src/underwriting/lending_private.rejection_of.sql
-- The decision an adverse action notice is about: the latest rejection of a rejected application. Raises
-- no_adverse_action for an application in any other status.
create or replace function lending_private.rejection_of(application lending_private.application)
returns lending_private.decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_decision lending_private.decision;
begin
  if application.status <> 'rejected' then
    perform lending_private.fail(
      'no_adverse_action',
      format('Application %s is %s: only a rejected application has an adverse action notice',
             application.application_id, application.status),
      jsonb_build_object('application_id', application.application_id, 'current_status', application.status));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = application.application_id and d.outcome = 'rejected'
   order by d.decision_id desc limit 1;
  return v_decision;
end;
$$;
comment on function lending_private.rejection_of(lending_private.application) is
  'The latest rejection of a rejected application; raises no_adverse_action otherwise.';

-- db/src/underwriting/lending.adverse_action_notice.sql
-- The notice a rejected applicant is owed (Regulation B, 12 CFR 1002.9): the action taken, its date, and the
-- principal reasons in plain words, most important first. When a credit score was part of the assessment the
-- decision relied on, the notice discloses it, its range, source and date (as the Fair Credit Reporting Act asks
-- of a notice based on a score). Dates are UTC days.
create or replace function lending.adverse_action_notice(application_id bigint, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_application lending_private.application;
  v_decision lending_private.decision;
  v_assessment lending_private.assessment;
begin
  select * into v_application from lending_private.application as a
   where a.application_id = adverse_action_notice.application_id;
  if not found then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  v_decision := lending_private.rejection_of(v_application);
  select * into v_assessment from lending_private.assessment as s where s.assessment_id = v_decision.assessment_id;

  return jsonb_build_object(
    'application_id', application_id,
    'decision_id', v_decision.decision_id,
    'applicant_name', (select p.name from lending_private.party as p where p.party_id = v_application.applicant_id),
    'action', 'Your application for credit was denied.',
    'amount', round(v_application.amount, 2)::text,
    'currency', v_application.currency,
    'action_date', to_char(v_decision.decided_at at time zone 'UTC', 'YYYY-MM-DD'),
    'principal_reasons', lending_private.decision_json(v_decision) -> 'reasons',
    'credit_score', case when v_assessment.facts ->> 'credit_score' is not null then jsonb_build_object(
      'score', (v_assessment.facts ->> 'credit_score')::integer, 'range', '300-850',
      'source', v_assessment.facts ->> 'credit_score_source', 'date', v_assessment.facts ->> 'credit_score_date') end,
    'statement', 'The federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit '
                 'applicants on the basis of race, color, religion, national origin, sex, marital status, age '
                 '(provided the applicant has the capacity to enter into a binding contract); because all or part '
                 'of the applicant''s income derives from any public assistance program; or because the applicant '
                 'has in good faith exercised any right under the Consumer Credit Protection Act.',
    'deliveries', (select coalesce(jsonb_agg(jsonb_build_object(
                                     'delivery_id', n.delivery_id, 'channel', n.channel, 'recorded_by', n.recorded_by,
                                     'sent_at', lending_private.json_time(n.sent_at)) order by n.delivery_id), '[]')
                     from lending_private.notice_delivery as n
                    where n.application_id = adverse_action_notice.application_id
                      and n.decision_id = v_decision.decision_id));
end;
$$;
comment on function lending.adverse_action_notice(bigint, text) is
$$The adverse action notice of a rejected application: the action, its date and the principal reasons in words.

principal_reasons are the rejection's reason codes with the words of each, most important first (other shows
the decision's reason). credit_score is disclosed (score, range, source, date) when the assessment the decision
relied on used one. deliveries lists each time the notice was recorded as sent (record_notice_sent).
Returns: notice.
Errors: validation_failed, not_found, no_adverse_action, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.adverse_action_notice(bigint, text) to lending_api;

-- db/src/underwriting/lending.record_notice_sent.sql
create or replace function lending.record_notice_sent(
  application_id bigint,
  channel text,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'channel', channel);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision_id bigint;
  v_delivery lending_private.notice_delivery;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'record_notice_sent', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[lending_private.field_error('channel', case
    when channel is null then 'is required'
    when channel not in ('email', 'post', 'in_app', 'sms') then 'must be one of email, post, in_app, sms' end)]);

  v_application := lending_private.lock_application(application_id, null);
  v_decision_id := (lending_private.rejection_of(v_application)).decision_id;
  insert into lending_private.notice_delivery (application_id, decision_id, channel, recorded_by, request_id)
  values (application_id, v_decision_id, channel, lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_delivery;

  return lending_private.idempotency_complete(idempotency_key, 'record_notice_sent', v_request, jsonb_build_object(
    'status', 201, 'body', jsonb_build_object(
      'delivery_id', v_delivery.delivery_id, 'application_id', v_delivery.application_id,
      'decision_id', v_delivery.decision_id, 'channel', v_delivery.channel, 'recorded_by', v_delivery.recorded_by,
      'sent_at', lending_private.json_time(v_delivery.sent_at))));
end;
$$;
comment on function lending.record_notice_sent(bigint, text, text, text, text) is
$$Records that the adverse action notice of a rejected application was sent, and by which channel.

channel is email, post, in_app or sms. Each call records one delivery (a notice may be sent again); use an
idempotency key to make a retry safe.
Returns: {status: 201, body: {delivery_id, application_id, decision_id, channel, recorded_by, sent_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, no_adverse_action, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.record_notice_sent(bigint, text, text, text, text) to lending_api;

reset role;

-- migrate:down
set local role lending_owner;

-- db/src/underwriting/lending.record_notice_sent.sql
create or replace function lending.record_notice_sent(
  application_id bigint,
  channel text,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'channel', channel);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision_id bigint;
  v_delivery lending_private.notice_delivery;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'record_notice_sent', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[lending_private.field_error('channel', case
    when channel is null then 'is required'
    when channel not in ('email', 'post', 'in_app', 'sms') then 'must be one of email, post, in_app, sms' end)]);

  v_application := lending_private.lock_application(application_id, null);
  if v_application.status <> 'rejected' then
    perform lending_private.fail(
      'no_adverse_action',
      format('Application %s is %s: only a rejected application has an adverse action notice', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select d.decision_id into strict v_decision_id from lending_private.decision as d
   where d.application_id = record_notice_sent.application_id and d.outcome = 'rejected'
   order by d.decision_id desc limit 1;
  insert into lending_private.notice_delivery (application_id, decision_id, channel, recorded_by, request_id)
  values (application_id, v_decision_id, channel, lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_delivery;

  return lending_private.idempotency_complete(idempotency_key, 'record_notice_sent', v_request, jsonb_build_object(
    'status', 201, 'body', jsonb_build_object(
      'delivery_id', v_delivery.delivery_id, 'application_id', v_delivery.application_id,
      'decision_id', v_delivery.decision_id, 'channel', v_delivery.channel, 'recorded_by', v_delivery.recorded_by,
      'sent_at', lending_private.json_time(v_delivery.sent_at))));
end;
$$;
comment on function lending.record_notice_sent(bigint, text, text, text, text) is
$$Records that the adverse action notice of a rejected application was sent, and by which channel.

channel is email, post, in_app or sms. Each call records one delivery (a notice may be sent again); use an
idempotency key to make a retry safe.
Returns: {status: 201, body: {delivery_id, application_id, decision_id, channel, recorded_by, sent_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, no_adverse_action, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.record_notice_sent(bigint, text, text, text, text) to lending_api;

-- db/src/underwriting/lending.adverse_action_notice.sql
-- The notice a rejected applicant is owed (Regulation B, 12 CFR 1002.9): the action taken, its date, and the
-- principal reasons in plain words, most important first. When a credit score was part of the assessment the
-- decision relied on, the notice discloses it, its range, source and date (as the Fair Credit Reporting Act asks
-- of a notice based on a score). Dates are UTC days.
create or replace function lending.adverse_action_notice(application_id bigint, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_application lending_private.application;
  v_decision lending_private.decision;
  v_assessment lending_private.assessment;
begin
  select * into v_application from lending_private.application as a
   where a.application_id = adverse_action_notice.application_id;
  if not found then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  if v_application.status <> 'rejected' then
    perform lending_private.fail(
      'no_adverse_action',
      format('Application %s is %s: only a rejected application has an adverse action notice', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = adverse_action_notice.application_id and d.outcome = 'rejected'
   order by d.decision_id desc limit 1;
  select * into v_assessment from lending_private.assessment as s where s.assessment_id = v_decision.assessment_id;

  return jsonb_build_object(
    'application_id', application_id,
    'decision_id', v_decision.decision_id,
    'applicant_name', (select p.name from lending_private.party as p where p.party_id = v_application.applicant_id),
    'action', 'Your application for credit was denied.',
    'amount', round(v_application.amount, 2)::text,
    'currency', v_application.currency,
    'action_date', to_char(v_decision.decided_at at time zone 'UTC', 'YYYY-MM-DD'),
    'principal_reasons', lending_private.decision_json(v_decision) -> 'reasons',
    'credit_score', case when v_assessment.facts ->> 'credit_score' is not null then jsonb_build_object(
      'score', (v_assessment.facts ->> 'credit_score')::integer, 'range', '300-850',
      'source', v_assessment.facts ->> 'credit_score_source', 'date', v_assessment.facts ->> 'credit_score_date') end,
    'statement', 'The federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit '
                 'applicants on the basis of race, color, religion, national origin, sex, marital status, age '
                 '(provided the applicant has the capacity to enter into a binding contract); because all or part '
                 'of the applicant''s income derives from any public assistance program; or because the applicant '
                 'has in good faith exercised any right under the Consumer Credit Protection Act.',
    'deliveries', (select coalesce(jsonb_agg(jsonb_build_object(
                                     'delivery_id', n.delivery_id, 'channel', n.channel, 'recorded_by', n.recorded_by,
                                     'sent_at', lending_private.json_time(n.sent_at)) order by n.delivery_id), '[]')
                     from lending_private.notice_delivery as n
                    where n.application_id = adverse_action_notice.application_id
                      and n.decision_id = v_decision.decision_id));
end;
$$;
comment on function lending.adverse_action_notice(bigint, text) is
$$The adverse action notice of a rejected application: the action, its date and the principal reasons in words.

principal_reasons are the rejection's reason codes with the words of each, most important first (other shows
the decision's reason). credit_score is disclosed (score, range, source, date) when the assessment the decision
relied on used one. deliveries lists each time the notice was recorded as sent (record_notice_sent).
Returns: notice.
Errors: validation_failed, not_found, no_adverse_action, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.adverse_action_notice(bigint, text) to lending_api;

-- db/src/underwriting/lending_private.rejection_of.sql
drop function lending_private.rejection_of(lending_private.application);

-- db/src/underwriting/lending.review_queue.sql
-- Oldest first by filing order, which the status index reads backwards; a page is at most 100 applications.
create or replace function lending.review_queue(
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('claim_review', actor, null);
  v_after_id text := substring(lending_private.cursor_text(after) from '^[1-9][0-9]{0,18}$');
  v_after bigint := case when v_after_id::numeric <= 9223372036854775807 then v_after_id::bigint end;
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id) into v_ids
    from (select a.application_id from lending_private.application as a
           where a.status = 'manual_review' and (v_after is null or a.application_id > v_after)
           order by a.application_id
           limit "limit" + 1) as a;
  if cardinality(v_ids) > "limit" then
    v_next := encode(convert_to(v_ids["limit"]::text, 'UTF8'), 'base64');
    v_ids := v_ids[1:"limit"];
  end if;

  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(
                  lending_private.application_json(i.id, false)
                  || jsonb_build_object(
                       'assessment', (select lending_private.assessment_json(s)
                                             || jsonb_build_object('current',
                                                                   s.facts = lending_private.application_facts(a))
                                        from lending_private.assessment as s
                                        join lending_private.application as a on a.application_id = s.application_id
                                       where s.application_id = i.id order by s.assessment_id desc limit 1),
                       'claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                                  where c.application_id = i.id and c.expires_at > now()
                                  order by c.claim_id desc limit 1))
                  order by i.id), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.review_queue(integer, text, text) is
$$Lists the applications waiting in manual_review, oldest first, with their latest assessment and current claim.

limit is 1-100 (default 50); after is the next_cursor of the previous page. The assessment says whether it is
current (the facts unchanged since); a decision needs a current one. claim is null when nobody holds an unexpired
claim: claim the application (claim_review) before deciding it.
Returns: {items: [application with assessment and claim], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.review_queue(integer, text, text) to lending_api;

-- db/src/underwriting/lending_private.make_offer.sql
-- Fixes the offer of an approval: the terms of the assessment the decision relied on, or, when it relied on none
-- (a product that needs no assessment), the product's terms in force at its grade E rate, the most cautious, for an
-- applicant with no grade. Valid for the product's offer_valid_days from now.
create or replace function lending_private.make_offer(decision lending_private.decision)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_application lending_private.application;
  v_offer jsonb;
  v_product lending_private.product;
  v_version lending_private.product_version;
  v_rate numeric;
  v_installment numeric;
  v_total_interest numeric;
  v_total_paid numeric;
  v_payments numeric[];
  v_fee numeric;
begin
  select * into strict v_application from lending_private.application as a
   where a.application_id = decision.application_id;
  -- An assessment that could make no offer (no grade, or a term outside the product) kept a null one; an approval
  -- overriding it takes the product's terms as a decision without an assessment does.
  select nullif(s.offer, 'null') into v_offer from lending_private.assessment as s
   where s.assessment_id = decision.assessment_id;
  if v_offer is null then
    select * into strict v_product from lending_private.product as p where p.product_code = v_application.product_code;
    select * into strict v_version from lending_private.product_version as v
     where v.product_id = v_product.product_id and v.version = v_product.current_version;
    select r.annual_rate into strict v_rate from lending_private.product_rate as r
     where r.product_id = v_version.product_id and r.version = v_version.version and r.risk_grade = 'E';
    v_fee := least(round(v_application.amount * v_version.origination_fee_percent / 100, 2),
                   coalesce(v_version.origination_fee_cap, v_application.amount));
    if v_application.term_months is not null then
      select (array_agg(s.payment order by s.period))[1], sum(s.interest), sum(s.payment),
             array_agg(s.payment order by s.period)
        into v_installment, v_total_interest, v_total_paid, v_payments
        from lending_private.repayment_schedule(v_application.amount, v_rate, v_application.term_months,
                                                v_version.amortization) as s;
    end if;
    v_offer := jsonb_build_object(
      'product_code', v_application.product_code, 'product_version', v_version.version,
      'amount', v_application.amount::text, 'currency', v_application.currency, 'risk_grade', null,
      'annual_rate', v_rate::text, 'term_months', v_application.term_months, 'amortization', v_version.amortization,
      'installment', v_installment::text, 'total_interest', v_total_interest::text, 'origination_fee', v_fee::text,
      'total_repayable', v_total_paid::text,
      'apr', case when v_payments is not null and v_application.amount > v_fee
                  then lending_private.annual_percentage_rate(v_application.amount - v_fee, v_payments)::text end,
      'valid_days', v_version.offer_valid_days);
  end if;

  insert into lending_private.offer (
    application_id, decision_id, assessment_id, product_code, product_version, amount, currency, risk_grade,
    annual_rate, term_months, amortization, installment, total_interest, origination_fee, total_repayable, apr,
    expires_at)
  values (
    decision.application_id, decision.decision_id, decision.assessment_id, v_offer ->> 'product_code',
    (v_offer ->> 'product_version')::integer, (v_offer ->> 'amount')::numeric, v_offer ->> 'currency',
    v_offer ->> 'risk_grade', (v_offer ->> 'annual_rate')::numeric, (v_offer ->> 'term_months')::integer,
    v_offer ->> 'amortization', (v_offer ->> 'installment')::numeric, (v_offer ->> 'total_interest')::numeric,
    (v_offer ->> 'origination_fee')::numeric, (v_offer ->> 'total_repayable')::numeric,
    (v_offer ->> 'apr')::numeric, now() + make_interval(days => (v_offer ->> 'valid_days')::integer));
end;
$$;
comment on function lending_private.make_offer(lending_private.decision) is
  'Fixes the offer of an approval from its assessment, or from the product''s terms at grade E without one.';

-- db/src/underwriting/lending_private.evaluate_policy.sql
-- The assessment itself: a product version's policy applied to an application's facts. It reads the facts given and
-- the product's rows, and nothing else: no clock, no random, no session setting (amounts are numeric, dates are
-- compared as dates), so the same facts under the same version always give the same result (a test reads this
-- source for the clock and randomness functions, and runs it under several TimeZone settings).
--
-- In order:
-- 1. The score and grade (lending_private.risk_score, lending_private.risk_grade), the grade's rate, and from it the
--    offer: installment, total interest and the schedule's payments (lending_private.repayment_schedule), the
--    origination fee (its percent of the amount, at most its cap), and the APR of the payments against the amount
--    less the fee (lending_private.annual_percentage_rate). No offer without a grade and a term within the product.
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
  v_fee numeric;
  v_installment numeric;
  v_total_interest numeric;
  v_total_paid numeric;
  v_payments numeric[];
  v_offer jsonb;
  v_rules jsonb;
  v_recommendation text;
  v_reasons text[];
begin
  select * into strict v_product from lending_private.product_version as v
   where v.product_id = evaluate_policy.product_id and v.version = evaluate_policy.version;
  select p.product_code into strict v_code from lending_private.product as p
   where p.product_id = evaluate_policy.product_id;

  v_missing := array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.policy_rule as r
              join lending_private.policy_measure as m on m.measure = r.measure
             where r.product_id = v_product.product_id and r.version = v_product.version) as f
     where coalesce(facts -> f.fact, 'null') = 'null'
     order by f.fact);

  v_score := lending_private.risk_score((facts ->> 'credit_score')::integer, (facts ->> 'income_verified')::boolean,
                                        (facts ->> 'months_employed')::integer);
  select g.grade into v_grade from lending_private.risk_grade as g
   where g.min_score <= v_score order by g.min_score desc limit 1;
  select r.annual_rate into v_rate from lending_private.product_rate as r
   where r.product_id = v_product.product_id and r.version = v_product.version and r.risk_grade = v_grade;

  if v_rate is not null and v_term between v_product.min_term_months and v_product.max_term_months
     and v_amount between v_product.min_amount and v_product.max_amount then
    select (array_agg(s.payment order by s.period))[1], sum(s.interest), sum(s.payment),
           array_agg(s.payment order by s.period)
      into v_installment, v_total_interest, v_total_paid, v_payments
      from lending_private.repayment_schedule(v_amount, v_rate, v_term, v_product.amortization) as s;
    v_fee := least(round(v_amount * v_product.origination_fee_percent / 100, 2),
                   coalesce(v_product.origination_fee_cap, v_amount));
    v_offer := jsonb_build_object(
      'product_code', v_code,
      'product_version', v_product.version,
      'amount', round(v_amount, 2)::text,
      'currency', facts ->> 'currency',
      'risk_grade', v_grade,
      'annual_rate', v_rate::text,
      'term_months', v_term,
      'amortization', v_product.amortization,
      'installment', v_installment::text,
      'total_interest', v_total_interest::text,
      'origination_fee', v_fee::text,
      'total_repayable', v_total_paid::text,
      'apr', case when v_amount > v_fee
                  then lending_private.annual_percentage_rate(v_amount - v_fee, v_payments)::text end,
      'valid_days', v_product.offer_valid_days);
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

-- db/src/underwriting/lending_private.offer_terms.sql
drop function lending_private.offer_terms(lending_private.product_version, text, numeric, text, integer, text, numeric);

-- db/src/applications/lending.list_applications.sql
create or replace function lending.list_applications(
  status text default null,
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  -- The cursor is the base64 of the last id of the previous page, in plain digits (lending_private.cursor_text):
  -- anything else names no position, however PostgreSQL would read it as a number ("0x14", "20 ", "+20", "2_0").
  v_after_id text := substring(lending_private.cursor_text(after) from '^[1-9][0-9]{0,18}$');
  v_after bigint := case when v_after_id::numeric <= 9223372036854775807 then v_after_id::bigint end;
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('status', case
      when status is not null and not exists (select from lending_private.application_status as s
                                               where s.status = list_applications.status)
        then format('must be one of %s',
                    (select string_agg(s.status, ', ' order by s.status) from lending_private.application_status as s))
      end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id desc) into v_ids
    from (select a.application_id from lending_private.application as a
           where (list_applications.status is null or a.status = list_applications.status)
             and (v_after is null or a.application_id < v_after)
           order by a.application_id desc
           limit "limit" + 1) as a;

  if cardinality(v_ids) > "limit" then
    v_next := encode(convert_to(v_ids["limit"]::text, 'UTF8'), 'base64');
    v_ids := v_ids[1:"limit"];
  end if;
  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(lending_private.application_json(i.id, false) order by i.id desc), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.list_applications(text, integer, text, text) is
$$Lists applications newest first, one page at a time.

status filters by status; limit is 1-100 (default 50); after is the next_cursor of the previous page. Items carry
the application without its decision history; next_cursor is null on the last page.
Returns: {items: [application], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_applications(text, integer, text, text) to lending_api;

-- db/src/applications/lending_private.application_json.sql
-- The application document, which every read and write returns. The latest decision is the last of the history
-- rather than a second query, and the next statuses are read in the document's own query rather than through
-- next_statuses() (the same query, as a PL/pgSQL call per document): get_application 575k -> 540k instructions.
-- Amounts are decimal strings with two places, never JSON numbers. The underwriting facts sit beside the loan's own
-- fields, flat, as update_application's merge patch names them.
create or replace function lending_private.application_json(application_id bigint, with_decisions boolean default true)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select jsonb_build_object(
      'application_id', a.application_id,
      'status', a.status,
      'next_statuses', (select coalesce(to_jsonb(array_agg(t.to_status order by t.to_status)), '[]')
                          from lending_private.status_transition as t where t.from_status = a.status),
      'amount', round(a.amount, 2)::text,
      'currency', a.currency,
      'term_months', a.term_months,
      'purpose', a.purpose,
      'external_ref', a.external_ref,
      'withdrawal_reason', a.withdrawal_reason,
      'applicant_id', p.party_id,
      'applicant_name', p.name,
      'applicant', jsonb_build_object('applicant_id', p.party_id, 'name', p.name, 'email', p.email,
                                      'phone', p.phone, 'external_ref', p.external_ref),
      'version', a.version,
      'created_at', lending_private.json_time(a.created_at),
      'updated_at', lending_private.json_time(a.updated_at),
      'product_code', a.product_code,
      'annual_income', a.annual_income::text,
      'monthly_debt_payments', a.monthly_debt_payments::text,
      'employment_status', a.employment_status,
      'months_employed', a.months_employed,
      'housing_status', a.housing_status,
      'credit_score', a.credit_score,
      'credit_score_source', a.credit_score_source,
      'credit_score_date', to_char(a.credit_score_date, 'YYYY-MM-DD'),
      'date_of_birth', to_char(a.date_of_birth, 'YYYY-MM-DD'),
      'income_verified', a.income_verified,
      'identity_verified', a.identity_verified,
      'missing_facts', to_jsonb(lending_private.missing_facts(a)))
    || case when with_decisions then jsonb_build_object(
         'assessment', (select lending_private.assessment_json(s)
                               || jsonb_build_object('current', s.facts = lending_private.application_facts(a))
                          from lending_private.assessment as s
                         where s.application_id = a.application_id order by s.assessment_id desc limit 1),
         'offer', (select lending_private.offer_json(o) from lending_private.offer as o
                    where o.application_id = a.application_id order by o.offer_id desc limit 1),
         'review_claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                           where c.application_id = a.application_id and c.expires_at > now()
                           order by c.claim_id desc limit 1))
       else '{}' end
    || case when with_decisions then (
         select jsonb_build_object('decision', h.decisions -> -1, 'decisions', h.decisions)
           from (select coalesce(jsonb_agg(lending_private.decision_json(d) order by d.decision_id), '[]') as decisions
                   from lending_private.decision as d where d.application_id = a.application_id) as h)
       else '{}' end
  from lending_private.application as a
  join lending_private.party as p on p.party_id = a.applicant_id
  where a.application_id = application_json.application_id);
end;
$$;
comment on function lending_private.application_json(bigint, boolean) is
  'An application with its applicant, product and facts and, unless with_decisions is false, its latest decision, '
  'decision history, latest assessment, offer and review claim.';

-- db/src/applications/lending_private.missing_facts.sql
drop function lending_private.missing_facts(jsonb, bigint, integer);
-- The facts an assessment under the application's product needs and the application lacks: the term (an offer
-- needs it), the credit score (the risk grade comes from it) and the date of birth (only adults borrow), and
-- whatever the product's policy rules measure (lending_private.policy_measure.needs_facts).
create or replace function lending_private.missing_facts(a lending_private.application)
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_facts jsonb := lending_private.application_facts(a);
begin
  return array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.product as p
              join lending_private.policy_rule as r on r.product_id = p.product_id and r.version = p.current_version
              join lending_private.policy_measure as m on m.measure = r.measure
             where p.product_code = a.product_code) as f
     where v_facts -> f.fact = 'null'
     order by f.fact);
end;
$$;
comment on function lending_private.missing_facts(lending_private.application) is
  'The facts an assessment of the application under its product needs and it does not have yet, by name.';

-- db/src/core/lending_private.cursor_id.sql
drop function lending_private.cursor_id(text);

-- db/src/core/lending_private.id_cursor.sql
drop function lending_private.id_cursor(bigint);

reset role;
