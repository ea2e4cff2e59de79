-- A decision, in order: the arguments; the application (locked) and whether its status allows this outcome; the
-- claim a manual review needs; the assessment it relies on, the latest, which must still be current (the facts
-- unchanged since); whether it overrides that assessment's recommendation; and whether an approval needs a second
-- person (four-eyes): above the product's agent limit, or overriding a reject. Then one decision row, the status,
-- and, for an approval that stands, its offer.
create or replace function lending.decide(
  application_id bigint,
  outcome text,
  reason text,
  reason_codes text[] default '{}',
  expected_version integer default null,
  override_reason text default null,
  model_name text default null,
  model_version text default null,
  confidence numeric default null,
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
  v_request jsonb;
  v_replay jsonb;
  v_actor lending_private.actor;
  v_application lending_private.application;
  v_product lending_private.product_version;
  v_assessment lending_private.assessment;
  v_current boolean;
  v_overrides boolean := false;
  v_needs_confirmation boolean;
  v_decision lending_private.decision;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'outcome', outcome, 'reason', reason, 'reason_codes', reason_codes,
    'expected_version', expected_version, 'override_reason', override_reason, 'model_name', model_name,
    'model_version', model_version, 'confidence', confidence);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decide', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select * into v_actor from lending_private.actor as a where a.name = lending_private.current_actor();
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('outcome', case
      when outcome is null then 'is required'
      when outcome not in ('approved', 'rejected', 'manual_review')
        then 'must be one of approved, rejected, manual_review' end),
    lending_private.field_error('reason', lending_private.text_error(reason, 2000, true)),
    lending_private.field_error('reason_codes',
      lending_private.decision_reasons_error(outcome, coalesce(reason_codes, '{}'))),
    lending_private.field_error('override_reason', lending_private.text_error(override_reason, 2000)),
    lending_private.field_error('model_name', lending_private.text_error(model_name, 100)),
    lending_private.field_error('model_version', case
      when model_version is not null and model_name is null then 'needs model_name'
      else lending_private.text_error(model_version, 100) end),
    lending_private.field_error('confidence', lending_private.number_error(confidence, 0, 1, 4))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status = 'pending_confirmation' then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s waits for a second reviewer: confirm or decline the decision with confirm_decision',
             application_id),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status,
                         'requested_status', outcome, 'allowed', '[]'::jsonb));
  end if;
  perform lending_private.check_transition(application_id, v_application.status, outcome);
  if v_application.status = 'manual_review' and not exists (
       select from lending_private.review_claim as c
        where c.application_id = decide.application_id and c.claimed_by = v_actor.name and c.expires_at > now()
          and c.claim_id = (select max(l.claim_id) from lending_private.review_claim as l
                             where l.application_id = decide.application_id)) then
    perform lending_private.fail(
      'review_claim_required',
      format('Application %s is in manual review: claim it with claim_review before deciding it', application_id),
      jsonb_build_object('application_id', application_id, 'actor', v_actor.name));
  end if;

  select * into v_assessment from lending_private.assessment as s
   where s.application_id = decide.application_id order by s.assessment_id desc limit 1;
  v_current := v_assessment.facts = lending_private.application_facts(v_application);
  -- The product's terms are those of the version the current assessment was made under, if there is one: a product
  -- change after the assessment changes neither its offer nor who may approve it alone.
  select v.* into strict v_product
    from lending_private.product as p
    join lending_private.product_version as v
      on v.product_id = p.product_id
     and v.version = case when v_current then v_assessment.product_version else p.current_version end
   where p.product_code = v_application.product_code;
  if v_assessment.assessment_id is not null and not v_current and outcome <> 'manual_review' then
    perform lending_private.fail(
      'assessment_stale',
      format('Application %s changed after its latest assessment %s: assess it again before deciding',
             application_id, v_assessment.assessment_id),
      jsonb_build_object('application_id', application_id, 'assessment_id', v_assessment.assessment_id));
  end if;
  if v_assessment.assessment_id is null and outcome = 'approved' and v_product.requires_assessment then
    perform lending_private.fail(
      'assessment_required',
      format('Product %s requires an assessment before approval: run assess_application on application %s',
             v_application.product_code, application_id),
      jsonb_build_object('application_id', application_id, 'product_code', v_application.product_code));
  end if;

  if v_current then
    v_overrides := outcome <> case v_assessment.recommendation when 'approve' then 'approved'
                                                               when 'reject' then 'rejected'
                                                               else 'manual_review' end;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('override_reason', case
      when v_overrides and override_reason is null
        then format('is required: the decision %s overrides assessment %s, which recommends %s', outcome,
                    v_assessment.assessment_id, v_assessment.recommendation) end),
    lending_private.field_error('model_name', case
      when v_actor.kind = 'agent' and v_product.requires_assessment and model_name is null
        then format('is required from an agent deciding under product %s', v_application.product_code) end),
    lending_private.field_error('confidence', case
      when v_actor.kind = 'agent' and v_product.requires_assessment and confidence is null
        then format('is required from an agent deciding under product %s', v_application.product_code) end)]);
  v_needs_confirmation := outcome = 'approved'
                          and (v_application.amount > v_product.agent_approval_limit
                               or (v_overrides and v_assessment.recommendation = 'reject'));

  insert into lending_private.decision (
    application_id, outcome, reason, reason_codes, decided_by, request_id, assessment_id, recommendation,
    overrides_recommendation, override_reason, decided_by_kind, model_name, model_version, confidence,
    requires_confirmation)
  values (
    application_id, outcome, reason, coalesce(reason_codes, '{}'), v_actor.name, lending_private.current_request_id(),
    case when v_current then v_assessment.assessment_id end, case when v_current then v_assessment.recommendation end,
    v_overrides, override_reason, v_actor.kind, model_name, model_version, confidence, v_needs_confirmation)
  returning * into v_decision;

  update lending_private.application as a
     set status = case when v_needs_confirmation then 'pending_confirmation' else outcome end
   where a.application_id = decide.application_id
  returning * into v_application;
  if v_application.status = 'approved' then
    perform lending_private.make_offer(v_decision);
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'decide', v_request, jsonb_build_object(
    'status', 201,
    'body', lending_private.decision_json(v_decision)
            || jsonb_build_object('status', v_application.status, 'version', v_application.version,
                                  'offer', (select lending_private.offer_json(o) from lending_private.offer as o
                                             where o.decision_id = v_decision.decision_id))));
end;
$$;
comment on function lending.decide(bigint, text, text, text[], integer, text, text, text, numeric, text, text, text) is
$$Records an underwriting decision and moves the application to its outcome, or to pending_confirmation.

outcome is approved, rejected or manual_review; reason is 1-2000 characters. reason_codes come from
lending.list_reason_codes: a rejection needs 1-4, most important first (other, with reason as its specific text,
when none fits); a referral may give up to 4; an approval none. The decision relies on the application's latest
assessment, which must be current (facts unchanged since; else assessment_stale); a product that requires an
assessment cannot be approved without one (assessment_required). An outcome other than the assessment's
recommendation is an override and needs override_reason. An agent deciding under such a product gives model_name
(and model_version) and confidence in [0, 1]. An application in manual_review can be decided only by the holder of
an unexpired claim (claim_review). An approval above the product's agent_approval_limit, or one overriding a reject
recommendation, waits in pending_confirmation for a second reviewer (confirm_decision); any other approval fixes an
offer at once. With expected_version the call fails unless the application is at that version.
Returns: {status: 201, body: decision with the application's new status and version and the offer, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, review_claim_required, assessment_required, assessment_stale, idempotency_key_reused.$$;
grant execute on function lending.decide(bigint, text, text, text[], integer, text, text, text, numeric, text, text, text) to lending_api;
