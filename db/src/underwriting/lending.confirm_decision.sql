-- Four-eyes. Two reviewers answering at once queue on the application's row lock; the second finds the application
-- no longer pending_confirmation and is refused (and the unique key on the decision would refuse a second answer
-- written around this function).
create or replace function lending.confirm_decision(
  application_id bigint,
  confirm boolean,
  reason text default null,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('confirm_decision', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'confirm', confirm, 'reason', reason,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision lending_private.decision;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'confirm_decision', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('confirm', case when confirm is null then 'is required' end),
    lending_private.field_error('reason', case
      when confirm is false and reason is null then 'is required to decline: say what the first reviewer should change'
      else lending_private.text_error(reason, 2000) end)]);

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status <> 'pending_confirmation' then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s is %s: only a decision waiting in pending_confirmation can be confirmed or declined',
             application_id, v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status,
                         'requested_status', case when confirm then 'approved' else 'manual_review' end,
                         'allowed', lending_private.next_statuses(v_application.status)));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = confirm_decision.application_id order by d.decision_id desc limit 1;
  if v_decision.decided_by = lending_private.current_actor() then
    perform lending_private.fail(
      'own_decision',
      format('%s made decision %s and cannot confirm or decline it: another reviewer must',
             v_decision.decided_by, v_decision.decision_id),
      jsonb_build_object('application_id', application_id, 'decision_id', v_decision.decision_id,
                         'decided_by', v_decision.decided_by));
  end if;

  insert into lending_private.confirmation (application_id, decision_id, confirmed, reason, confirmed_by, request_id)
  values (application_id, v_decision.decision_id, confirm, reason, lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = case when confirm then 'approved' else 'manual_review' end
   where a.application_id = confirm_decision.application_id;
  if confirm then
    perform lending_private.make_offer(v_decision);
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'confirm_decision', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.confirm_decision(bigint, boolean, text, integer, text, text, text) is
$$Confirms or declines, as a second reviewer, an approval waiting in pending_confirmation (four-eyes).

confirm true approves the application and fixes its offer; confirm false sends it back to manual_review and needs
reason (1-2000 characters), which the decision's confirmation keeps. The reviewer who made the decision cannot
answer it (own_decision). Two reviewers answering at once give one answer; the other is refused.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, own_decision, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.confirm_decision(bigint, boolean, text, integer, text, text, text) to lending_api;
