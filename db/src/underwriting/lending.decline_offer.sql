create or replace function lending.decline_offer(
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
  v_role text := lending_private.authorize('decline_offer', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'reason', reason,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_offer_id bigint;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decline_offer', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('reason', lending_private.text_error(reason, 2000))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'offer_declined');
  select o.offer_id into v_offer_id from lending_private.offer as o
   where o.application_id = decline_offer.application_id order by o.offer_id desc limit 1;
  if v_offer_id is null then
    perform lending_private.fail_offer_not_found(application_id);
  end if;
  insert into lending_private.offer_response (offer_id, application_id, response, reason, recorded_by, request_id)
  values (v_offer_id, application_id, 'declined', reason, lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = 'offer_declined'
   where a.application_id = decline_offer.application_id;
  return lending_private.idempotency_complete(idempotency_key, 'decline_offer', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.decline_offer(bigint, text, integer, text, text, text) is
$$Declines, on the borrower's behalf, the offer of an approved application (-> offer_declined, final).

reason is optional, at most 2000 characters. With expected_version the call fails unless the application is at
that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.decline_offer(bigint, text, integer, text, text, text) to lending_api;
