create or replace function lending.assess_application(
  application_id bigint,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('assess', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id);
  v_replay jsonb;
  v_application lending_private.application;
  v_product lending_private.product;
  v_facts jsonb;
  v_result jsonb;
  v_assessment lending_private.assessment;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'assess', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  -- Locked, so that the facts assessed are the ones a concurrent update_application would otherwise be changing.
  v_application := lending_private.lock_application(application_id, null);
  if v_application.status not in ('pending', 'manual_review') then
    perform lending_private.fail(
      'not_in_underwriting',
      format('Application %s is %s: only a pending or manual_review application can be assessed', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into strict v_product from lending_private.product as p where p.product_code = v_application.product_code;
  v_facts := lending_private.application_facts(v_application);
  v_result := lending_private.evaluate_policy(v_facts, v_product.product_id, v_product.current_version);

  insert into lending_private.assessment (
    application_id, product_id, product_version, facts, rules, missing_facts, score, risk_grade, recommendation,
    reason_codes, offer, assessed_by, request_id)
  values (
    application_id, v_product.product_id, v_product.current_version, v_facts, v_result -> 'rules',
    array(select jsonb_array_elements_text(v_result -> 'missing_facts')), (v_result ->> 'score')::smallint,
    v_result ->> 'risk_grade', v_result ->> 'recommendation',
    array(select jsonb_array_elements_text(v_result -> 'reason_codes')), nullif(v_result -> 'offer', 'null'),
    lending_private.current_actor(), lending_private.current_request_id())
  returning * into v_assessment;

  return lending_private.idempotency_complete(idempotency_key, 'assess', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.assessment_json(v_assessment)));
end;
$$;
comment on function lending.assess_application(bigint, text, text, text) is
$$Assesses an application under its product's current version and keeps the assessment.

Evaluates the product's limits and policy rules against the application's facts, in order of importance, and
records each rule's measured value, threshold and result; a score and risk grade (A-E); the recommendation
(approve, reject or refer) with its reason codes, most important first, at most four; and the offer an approval
would fix (rate from the grade, installment, total interest, origination fee, APR by Regulation Z Appendix J).
Missing facts give refer with credit_application_incomplete and missing_facts. The evaluation reads no clock and no
randomness: the same facts and product version give the same assessment. Assessing again after the facts change
makes a new assessment; decisions rely on the latest. Only pending and manual_review applications are assessed.
Returns: {status: 201, body: assessment, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_underwriting, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.assess_application(bigint, text, text, text) to lending_api;
