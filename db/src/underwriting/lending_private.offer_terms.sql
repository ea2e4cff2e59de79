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
