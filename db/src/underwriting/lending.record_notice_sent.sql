create or replace function lending.record_notice_sent(
  application_id bigint,
  channel text,
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
  v_request jsonb := jsonb_build_object('application_id', application_id, 'channel', channel);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision_id bigint;
  v_delivery lending_private.notice_delivery;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'record_notice_sent', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[lending_private.field_error('channel', case
    when channel is null then 'is required'
    when channel not in ('email', 'post', 'in_app', 'sms') then 'must be one of email, post, in_app, sms' end)]);

  v_application := lending_private.lock_application(application_id, null);
  v_decision_id := (lending_private.rejection_of(v_application)).decision_id;
  insert into lending_private.notice_delivery (application_id, decision_id, channel, recorded_by, request_id)
  values (application_id, v_decision_id, channel, lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_delivery;

  return lending_private.idempotency_complete(idempotency_key, 'record_notice_sent', v_request, jsonb_build_object(
    'status', 201, 'body', jsonb_build_object(
      'delivery_id', v_delivery.delivery_id, 'application_id', v_delivery.application_id,
      'decision_id', v_delivery.decision_id, 'channel', v_delivery.channel, 'recorded_by', v_delivery.recorded_by,
      'sent_at', lending_private.json_time(v_delivery.sent_at))));
end;
$$;
comment on function lending.record_notice_sent(bigint, text, text, text, text) is
$$Records that the adverse action notice of a rejected application was sent, and by which channel.

channel is email, post, in_app or sms. Each call records one delivery (a notice may be sent again); use an
idempotency key to make a retry safe.
Returns: {status: 201, body: {delivery_id, application_id, decision_id, channel, recorded_by, sent_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, no_adverse_action, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.record_notice_sent(bigint, text, text, text, text) to lending_api;
