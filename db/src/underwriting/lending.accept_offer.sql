-- An acceptance after the offer's expiry is refused, and yet it changes something that must stay: the application
-- becomes offer_expired. A raised error would roll that back, so the refusal is returned as data instead: the
-- envelope's `problem` (status 409, code offer_expired), which the HTTP and MCP faces answer as any other problem,
-- and which an idempotency key replays.
create or replace function lending.accept_offer(
  application_id bigint,
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
  v_role text := lending_private.authorize('accept_offer', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_offer lending_private.offer;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'accept_offer', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'offer_accepted');
  select * into v_offer from lending_private.offer as o
   where o.application_id = accept_offer.application_id order by o.offer_id desc limit 1;
  if v_offer.offer_id is null then
    perform lending_private.fail_offer_not_found(application_id);
  end if;

  if v_offer.expires_at <= now() then
    insert into lending_private.offer_response (offer_id, application_id, response, recorded_by, request_id)
    values (v_offer.offer_id, application_id, 'expired', lending_private.current_actor(),
            lending_private.current_request_id());
    update lending_private.application as a set status = 'offer_expired'
     where a.application_id = accept_offer.application_id;
    return lending_private.idempotency_complete(idempotency_key, 'accept_offer', v_request, jsonb_build_object(
      'status', 409,
      'problem', jsonb_build_object(
        'code', 'offer_expired',
        'title', (select e.title from lending_private.error_code as e where e.code = 'offer_expired'),
        'detail', format('The offer on application %s expired at %s; the application is now offer_expired',
                         application_id, lending_private.json_time(v_offer.expires_at)),
        'application_id', application_id, 'offer_id', v_offer.offer_id,
        'expires_at', lending_private.json_time(v_offer.expires_at), 'current_status', 'offer_expired')));
  end if;

  insert into lending_private.offer_response (offer_id, application_id, response, recorded_by, request_id)
  values (v_offer.offer_id, application_id, 'accepted', lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = 'offer_accepted'
   where a.application_id = accept_offer.application_id;
  return lending_private.idempotency_complete(idempotency_key, 'accept_offer', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.accept_offer(bigint, integer, text, text, text) is
$$Accepts, on the borrower's behalf, the offer of an approved application (-> offer_accepted).

The offer's terms are the ones fixed at approval. After the offer's expires_at the acceptance is refused and the
application moves to offer_expired, for good: the envelope then has status 409 and a `problem` (code
offer_expired) instead of a body. With expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}, or {status: 409, problem, replayed} when the offer expired.
Errors: validation_failed, not_found, version_conflict, invalid_transition, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.accept_offer(bigint, integer, text, text, text) to lending_api;
