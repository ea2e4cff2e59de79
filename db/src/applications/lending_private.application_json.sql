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
