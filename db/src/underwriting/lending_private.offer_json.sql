create or replace function lending_private.offer_json(o lending_private.offer)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'offer_id', o.offer_id,
    'decision_id', o.decision_id,
    'assessment_id', o.assessment_id,
    'product_code', o.product_code,
    'product_version', o.product_version,
    'amount', round(o.amount, 2)::text,
    'currency', o.currency,
    'risk_grade', o.risk_grade,
    'annual_rate', o.annual_rate::text,
    'term_months', o.term_months,
    'amortization', o.amortization,
    'installment', o.installment::text,
    'total_interest', o.total_interest::text,
    'origination_fee', o.origination_fee::text,
    'total_repayable', o.total_repayable::text,
    'apr', o.apr::text,
    'offered_at', lending_private.json_time(o.offered_at),
    'expires_at', lending_private.json_time(o.expires_at),
    'response', (select jsonb_build_object('response', r.response, 'reason', r.reason, 'recorded_by', r.recorded_by,
                                           'recorded_at', lending_private.json_time(r.recorded_at))
                   from lending_private.offer_response as r where r.offer_id = o.offer_id));
end;
$$;
comment on function lending_private.offer_json(lending_private.offer) is
  'An offer as the API shows it: its fixed terms, when it expires, and the borrower''s answer if any.';
