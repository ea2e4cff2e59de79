-- Settings an operator may tune while Lendgres runs, as rows: read by the functions that need them, changed by an
-- UPDATE as the owner (audited by PostgreSQL's own log, not the business audit trail: they belong to no subject).
-- Few and rarely written, so one row per setting is no hot spot.
create table lending_private.setting (
  name text primary key constraint setting_name_is_snake_case check (name ~ '^[a-z][a-z0-9_]*$'),
  value text not null,
  description text not null
);
comment on table lending_private.setting is 'Tunable settings, one row each; lending_private.setting_value reads them.';

insert into lending_private.setting (name, value, description) values
  ('review_claim_seconds', '1800',
   'How long a reviewer''s claim on an application in manual_review lasts (lending.claim_review), in seconds.');
