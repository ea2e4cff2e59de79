create or replace function lending_private.review_claim_json(c lending_private.review_claim)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when c.claim_id is not null then jsonb_build_object(
    'claim_id', c.claim_id,
    'application_id', c.application_id,
    'claimed_by', c.claimed_by,
    'claimed_at', lending_private.json_time(c.claimed_at),
    'expires_at', lending_private.json_time(c.expires_at)) end;
end;
$$;
comment on function lending_private.review_claim_json(lending_private.review_claim) is 'A review claim as the API shows it.';
