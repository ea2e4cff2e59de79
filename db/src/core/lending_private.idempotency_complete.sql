-- Stores the response under the key, in the transaction of the write it answers, and returns it.
create or replace function lending_private.idempotency_complete(idempotency_key text, operation text, request jsonb,
                                                                response jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if idempotency_key is not null then
    insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)
    values (lending_private.current_actor(), idempotency_key, operation,
            lending_private.request_hash(operation, request), response);
    -- Keep the table bounded without a scheduler: about one write in eight that stores a key also removes up to 32
    -- expired ones (four per write on average, more than each adds), skipping any that a concurrent transaction
    -- holds, so writers never wait on each other here. Ordered by expiry, the scan walks the expiry index and stops
    -- at the first live key, however large the table. A coin decides, not a counter (a row every writer would
    -- update) nor the key (a client whose keys never qualified would never clean up).
    if random() < 0.125 then
      delete from lending_private.idempotency_key as k
       using (select e.actor, e.idempotency_key from lending_private.idempotency_key as e
               where e.expires_at <= now() order by e.expires_at limit 32 for update skip locked) as expired
       where k.actor = expired.actor and k.idempotency_key = expired.idempotency_key;
    end if;
  end if;
  return response || jsonb_build_object('replayed', false);
end;
$$;
comment on function lending_private.idempotency_complete(text, text, jsonb, jsonb) is
  'Stores the response of a write under its idempotency key (if any) and returns it, marked as not replayed.';
