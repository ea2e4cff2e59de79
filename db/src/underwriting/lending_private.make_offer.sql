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
