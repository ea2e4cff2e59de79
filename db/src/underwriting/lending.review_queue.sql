-- Oldest first by filing order, which the status index reads backwards; a page is at most 100 applications.
create or replace function lending.review_queue(
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('claim_review', actor, null);
  v_after bigint := lending_private.cursor_id(after);
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id) into v_ids
    from (select a.application_id from lending_private.application as a
           where a.status = 'manual_review' and (v_after is null or a.application_id > v_after)
           order by a.application_id
           limit "limit" + 1) as a;
  if cardinality(v_ids) > "limit" then
    v_next := lending_private.id_cursor(v_ids["limit"]);
    v_ids := v_ids[1:"limit"];
  end if;

  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(
                  lending_private.application_json(i.id, false)
                  || jsonb_build_object(
                       'assessment', (select lending_private.assessment_json(s)
                                             || jsonb_build_object('current',
                                                                   s.facts = lending_private.application_facts(a))
                                        from lending_private.assessment as s
                                        join lending_private.application as a on a.application_id = s.application_id
                                       where s.application_id = i.id order by s.assessment_id desc limit 1),
                       'claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                                  where c.application_id = i.id and c.expires_at > now()
                                  order by c.claim_id desc limit 1))
                  order by i.id), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.review_queue(integer, text, text) is
$$Lists the applications waiting in manual_review, oldest first, with their latest assessment and current claim.

limit is 1-100 (default 50); after is the next_cursor of the previous page. The assessment says whether it is
current (the facts unchanged since); a decision needs a current one. claim is null when nobody holds an unexpired
claim: claim the application (claim_review) before deciding it.
Returns: {items: [application with assessment and claim], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.review_queue(integer, text, text) to lending_api;
