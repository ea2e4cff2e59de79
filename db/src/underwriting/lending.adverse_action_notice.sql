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
