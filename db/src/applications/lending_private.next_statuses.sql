create or replace function lending_private.next_statuses(status text)
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select coalesce(array_agg(t.to_status order by t.to_status), '{}')
    from lending_private.status_transition as t
   where t.from_status = next_statuses.status);
end;
$$;
comment on function lending_private.next_statuses(text) is 'The statuses an application in `status` may move to.';
