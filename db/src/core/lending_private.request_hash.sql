create or replace function lending_private.request_hash(operation text, request jsonb)
returns bytea
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return sha256(convert_to(jsonb_build_object('operation', operation, 'request', request)::text, 'UTF8'));
end;
$$;
comment on function lending_private.request_hash(text, jsonb) is 'What identifies a request under an idempotency key.';
