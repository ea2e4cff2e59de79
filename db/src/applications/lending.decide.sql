create or replace function lending.decide(
  application_id bigint,
  outcome text,
  reason text,
  reason_codes text[] default '{}',
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
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_application lending_private.application;
  v_decision lending_private.decision;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'outcome', outcome, 'reason', reason, 'reason_codes', reason_codes,
    'expected_version', expected_version);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decide', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('outcome', case
      when outcome is null then 'is required'
      when outcome not in ('approved', 'rejected', 'manual_review')
        then 'must be one of approved, rejected, manual_review' end),
    lending_private.field_error('reason', lending_private.text_error(reason, 2000, true)),
    lending_private.field_error('reason_codes', lending_private.reason_codes_error(reason_codes))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, outcome);

  insert into lending_private.decision (application_id, outcome, reason, reason_codes, decided_by, request_id)
  values (application_id, outcome, reason, coalesce(reason_codes, '{}'), lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_decision;

  update lending_private.application as a set status = outcome
   where a.application_id = decide.application_id
  returning * into v_application;

  return lending_private.idempotency_complete(idempotency_key, 'decide', v_request, jsonb_build_object(
    'status', 201,
    'body', lending_private.decision_json(v_decision)
            || jsonb_build_object('status', v_application.status, 'version', v_application.version)));
end;
$$;
comment on function lending.decide(bigint, text, text, text[], integer, text, text, text) is
$$Records an underwriting decision and moves the application to its outcome.

outcome is approved, rejected or manual_review; reason is 1-2000 characters; reason_codes is an optional list of
up to 20 short codes (letters, digits, _ . : -). The application is locked, the transition checked against the
status machine, a decision row appended and the status moved, all in one transaction. With expected_version the
call fails unless the application is at that version. Decisions are append-only.
Returns: {status: 201, body: decision with the application's new status and version, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, idempotency_key_reused.$$;
grant execute on function lending.decide(bigint, text, text, text[], integer, text, text, text) to lending_api;
