-- HTTP workers cache resolved keys briefly. Whenever a key is revoked or its expiry moved, by whatever path, its
-- hash is NOTIFYed on lending_keys at commit, so that they forget it at once.
create or replace function lending_private.notify_key_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_notify('lending_keys', encode(new.key_hash, 'hex'));
  return null;
end;
$$;
comment on function lending_private.notify_key_change() is
  'Trigger: tells the HTTP workers (channel lending_keys) to forget a key whose revocation or expiry changed.';
