-- Two reviewers claiming at once queue on the application's row lock; the second then finds the first's claim and
-- is refused. Claiming again what one holds renews the claim.
create or replace function lending.claim_review(
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
  v_role text := lending_private.authorize('claim_review', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id);
  v_replay jsonb;
  v_application lending_private.application;
  v_held lending_private.review_claim;
  v_claim lending_private.review_claim;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'claim_review', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  v_application := lending_private.lock_application(application_id, null);
  if v_application.status <> 'manual_review' then
    perform lending_private.fail(
      'not_in_review',
      format('Application %s is %s: only an application in manual_review can be claimed', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into v_held from lending_private.review_claim as c
   where c.application_id = claim_review.application_id order by c.claim_id desc limit 1;
  if v_held.expires_at > now() and v_held.claimed_by <> lending_private.current_actor() then
    perform lending_private.fail(
      'review_claimed',
      format('Application %s is claimed by %s until %s', application_id, v_held.claimed_by,
             lending_private.json_time(v_held.expires_at)),
      jsonb_build_object('application_id', application_id, 'claimed_by', v_held.claimed_by,
                         'expires_at', lending_private.json_time(v_held.expires_at)));
  end if;

  insert into lending_private.review_claim (application_id, claimed_by, expires_at, request_id)
  values (application_id, lending_private.current_actor(),
          now() + make_interval(secs => lending_private.setting_value('review_claim_seconds')::integer),
          lending_private.current_request_id())
  returning * into v_claim;

  return lending_private.idempotency_complete(idempotency_key, 'claim_review', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.review_claim_json(v_claim)));
end;
$$;
comment on function lending.claim_review(bigint, text, text, text) is
$$Claims an application in manual_review for the calling reviewer, for a limited time.

Deciding an application in manual_review needs an unexpired claim of one's own on it. A claim lasts the setting
review_claim_seconds (30 minutes unless changed) and then lapses; claiming again what one holds renews it. Two
reviewers claiming at once get one claim: the other is refused with review_claimed.
Returns: {status: 201, body: {claim_id, application_id, claimed_by, claimed_at, expires_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_review, review_claimed, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.claim_review(bigint, text, text, text) to lending_api;
