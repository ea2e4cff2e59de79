create or replace function lending.withdraw(
  application_id bigint,
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
  v_role text := lending_private.authorize('withdraw', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_application lending_private.application;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'reason', reason, 'expected_version', expected_version);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'withdraw', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('reason', lending_private.text_error(reason, 2000))]);
  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'withdrawn');

  update lending_private.application as a set status = 'withdrawn', withdrawal_reason = reason
   where a.application_id = withdraw.application_id;

  return lending_private.idempotency_complete(idempotency_key, 'withdraw', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.withdraw(bigint, text, integer, text, text, text) is
$$Withdraws an application at the applicant's request.

Only a pending or manual_review application can be withdrawn; reason (optional, at most 2000 characters) is kept
on the application. With expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, idempotency_key_reused.$$;
grant execute on function lending.withdraw(bigint, text, integer, text, text, text) to lending_api;
