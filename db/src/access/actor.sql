-- Actors: the agents, people and services that act through Lendgres. Audit rows and events name them. Actors are
-- audited like applications, one chain per actor, which also holds the changes of its API keys.
create table lending_private.actor (
  actor_id bigint generated always as identity primary key,
  name text not null unique constraint actor_name_is_valid check (lending_private.actor_name_error(name) is null),
  kind text not null constraint actor_kind_is_known check (kind in ('agent', 'human', 'service')),
  role text not null references lending_private.actor_role,
  db_role text unique,
  active boolean not null default true,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table lending_private.actor is 'Who acts: an agent, a human or a service, with one role.';
comment on column lending_private.actor.db_role is
  'The PostgreSQL login role a service calls the SQL API as; its calls act as this actor and no other.';
comment on column lending_private.actor.active is 'A deactivated actor can do nothing, whatever key or login it uses.';

create trigger _100_refuse_delete before delete on lending_private.actor
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.actor
  for each statement execute function lending_private.refuse_change();
create trigger _150_guard_administration before update on lending_private.actor
  for each row execute function lending_private.guard_administration();
create trigger _200_bump_version before update on lending_private.actor
  for each row execute function lending_private.bump_version();
create trigger _900_audit after insert or update on lending_private.actor
  for each row execute function lending_private.record_audit('actor', 'actor_id', 'actor_id');

-- Operators (superusers and members of lending_owner, e.g. the `lendgres` CLI) act as this actor unless they name
-- another. Only a superuser may change it (lending_private.guard_administration).
insert into lending_private.actor (name, kind, role) values ('operator', 'service', 'admin');
