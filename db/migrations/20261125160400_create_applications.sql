-- migrate:up
set local role lending_owner;

-- ISO 4217 currencies in circulation, with their minor units (JPY has none, so 0.50 JPY is not an amount).
create table lending_private.currency (
  code text primary key constraint currency_code_is_iso_4217 check (code ~ '^[A-Z]{3}$'),
  minor_units smallint not null constraint currency_minor_units_are_known check (minor_units between 0 and 4)
);
comment on table lending_private.currency is 'ISO 4217 currency codes we accept, with their minor units.';

insert into lending_private.currency (code, minor_units)
select code, case
    when code in ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF',
                  'XOF', 'XPF') then 0
    when code in ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') then 3
    else 2
  end
from unnest(string_to_array(
  'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY '
  'COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR '
  'ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK '
  'MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF '
  'SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU '
  'UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG', ' ')) as code;

-- What is wrong with an amount of money in a currency, or null. Amounts are exact: at most 2 decimal places (and no
-- more than the currency has), more than zero, at most 10,000,000.00.
create function lending_private.amount_error(amount numeric, minor_units smallint default 2)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when amount is null then 'is required'
    when amount = 'NaN' or amount in ('Infinity', '-Infinity') then 'must be a finite number'
    when amount <= 0 then 'must be greater than 0'
    when amount > 10000000 then 'must be at most 10000000.00'
    when amount <> round(amount, least(2, coalesce(minor_units, 2)))
      then 'must have at most ' || least(2, coalesce(minor_units, 2))::text || ' decimal places'
  end;
end;
$$;
comment on function lending_private.amount_error(numeric, smallint) is
  'What is wrong with a loan amount (finite, > 0, <= 10,000,000.00, at most 2 decimals or the currency''s), or null.';

create function lending_private.currency_error(code text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when code is null then 'is required'
    when not exists (select from lending_private.currency as c where c.code = currency_error.code)
      then 'must be an ISO 4217 currency code in upper case, such as USD or EUR'
  end;
end;
$$;
comment on function lending_private.currency_error(text) is 'What is wrong with a currency code, or null.';

-- The status machine is data: the statuses, and the allowed (from, to) pairs. A status with no way out is final.
-- Later features add rows here, not code.
create table lending_private.application_status (
  status text primary key constraint application_status_is_snake_case check (status ~ '^[a-z][a-z_]*$'),
  is_initial boolean not null default false,
  description text not null
);
create unique index application_status_one_initial on lending_private.application_status (is_initial) where is_initial;
comment on table lending_private.application_status is 'Statuses an application can be in; exactly one is initial.';

create table lending_private.status_transition (
  from_status text not null references lending_private.application_status,
  to_status text not null references lending_private.application_status,
  primary key (from_status, to_status),
  constraint status_transition_changes_status check (from_status <> to_status)
);
comment on table lending_private.status_transition is
  'The allowed status changes of an application. The database refuses any other, whoever writes.';

insert into lending_private.application_status (status, is_initial, description) values
  ('pending', true, 'Filed and waiting for an underwriting decision.'),
  ('manual_review', false, 'Waiting for a person to review it.'),
  ('approved', false, 'Approved by underwriting.'),
  ('rejected', false, 'Rejected by underwriting.'),
  ('withdrawn', false, 'Withdrawn by the applicant.');

insert into lending_private.status_transition (from_status, to_status) values
  ('pending', 'approved'), ('pending', 'rejected'), ('pending', 'manual_review'), ('pending', 'withdrawn'),
  ('manual_review', 'approved'), ('manual_review', 'rejected'), ('manual_review', 'withdrawn');

create function lending_private.next_statuses(status text)
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

create function lending_private.check_transition(application_id bigint, from_status text, to_status text)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from lending_private.status_transition as t
                  where t.from_status = check_transition.from_status and t.to_status = check_transition.to_status) then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s is %s and cannot become %s', application_id, from_status, to_status),
      jsonb_build_object('application_id', application_id, 'current_status', from_status,
                         'requested_status', to_status, 'allowed', lending_private.next_statuses(from_status)));
  end if;
end;
$$;
comment on function lending_private.check_transition(bigint, text, text) is
  'Raises invalid_transition unless status_transition allows from_status -> to_status.';

create function lending_private.term_months_error(term_months integer)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when term_months not between 1 and 480 then 'must be between 1 and 480 months' end;
end;
$$;
comment on function lending_private.term_months_error(integer) is 'What is wrong with a loan term, or null.';

create table lending_private.application (
  application_id bigint generated always as identity primary key,
  applicant_id bigint not null references lending_private.party,
  amount numeric not null constraint application_amount_is_valid check (lending_private.amount_error(amount) is null),
  currency text not null default 'USD',
  term_months integer
    constraint application_term_months_is_valid check (lending_private.term_months_error(term_months) is null),
  purpose text constraint application_purpose_is_valid check (lending_private.text_error(purpose, 500) is null),
  external_ref text
    constraint application_external_ref_is_valid check (lending_private.text_error(external_ref, 100) is null),
  status text not null default 'pending',
  withdrawal_reason text
    constraint application_withdrawal_reason_is_valid check (lending_private.text_error(withdrawal_reason, 2000) is null),
  version integer not null default 1 constraint application_version_is_positive check (version >= 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index application_status_newest_first on lending_private.application (status, application_id desc);
create index application_applicant on lending_private.application (applicant_id);
comment on table lending_private.application is 'Loan applications. Their status moves only along status_transition.';
-- currency and status name rows of small reference tables, but not through foreign keys: a foreign key check locks
-- the referenced row (FOR KEY SHARE), and every concurrent application naming USD or pending would then share the
-- lock on one row, a global hot spot. Triggers check them instead; reference rows are never deleted.
comment on column lending_private.application.amount is 'Requested principal, exact, in `currency`.';
comment on column lending_private.application.version is 'Bumped on every change; lending.decide checks it on request.';

-- Holds every insert and status change of an application to the status machine, for direct SQL as for the API.
create function lending_private.check_currency()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('currency', lending_private.currency_error(new.currency))]);
  return new;
end;
$$;
comment on function lending_private.check_currency() is 'Trigger: the row''s currency must be in lending_private.currency.';

create function lending_private.enforce_status_machine()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'INSERT' then
    if not exists (select from lending_private.application_status as s where s.status = new.status and s.is_initial) then
      perform lending_private.fail(
        'invalid_transition', format('A new application cannot start as %s', new.status),
        jsonb_build_object('requested_status', new.status,
                           'allowed', (select array_agg(s.status) from lending_private.application_status as s
                                        where s.is_initial)));
    end if;
  elsif new.status is distinct from old.status then
    perform lending_private.check_transition(old.application_id, old.status, new.status);
  end if;
  return new;
end;
$$;
comment on function lending_private.enforce_status_machine() is
  'Trigger: new applications start in the initial status; status changes must be listed in status_transition.';

create trigger _100_refuse_delete before delete on lending_private.application
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.application
  for each statement execute function lending_private.refuse_change();
create trigger _140_check_currency before insert or update of currency on lending_private.application
  for each row execute function lending_private.check_currency();
create trigger _150_enforce_status_machine before insert or update of status on lending_private.application
  for each row execute function lending_private.enforce_status_machine();
create trigger _200_bump_version before update on lending_private.application
  for each row execute function lending_private.bump_version();
create trigger _900_audit after insert or update on lending_private.application
  for each row execute function lending_private.record_audit('application', 'application_id', 'application_id');

-- Underwriting decisions: append-only. lending.decide writes one and moves the application's status with it.
create function lending_private.reason_codes_error(reason_codes text[])
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when reason_codes is null then null
    when cardinality(reason_codes) > 20 then 'must hold at most 20 codes'
    when exists (select from unnest(reason_codes) as c where c is null or c !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$')
      then 'each code must be 1 to 64 letters, digits, or _ . : - (for example DTI_TOO_HIGH)'
  end;
end;
$$;
comment on function lending_private.reason_codes_error(text[]) is 'What is wrong with a list of reason codes, or null.';

create table lending_private.decision (
  decision_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  outcome text not null constraint decision_outcome_is_known check (outcome in ('approved', 'rejected', 'manual_review')),
  reason text not null constraint decision_reason_is_valid check (lending_private.text_error(reason, 2000, true) is null),
  reason_codes text[] not null default '{}'
    constraint decision_reason_codes_are_valid check (lending_private.reason_codes_error(reason_codes) is null),
  decided_by text not null,
  request_id text,
  decided_at timestamptz not null default now()
);
create index decision_application on lending_private.decision (application_id, decision_id);
comment on table lending_private.decision is 'Underwriting decisions, append-only; the latest one is the current.';
comment on column lending_private.decision.decided_by is 'The actor who decided.';

create trigger _100_refuse_change before update or delete on lending_private.decision
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.decision
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.decision
  for each row execute function lending_private.record_audit('application', 'application_id', 'decision_id');

reset role;

-- migrate:down
set local role lending_owner;
drop table lending_private.decision;
drop function lending_private.reason_codes_error(text[]);
drop table lending_private.application;
drop function lending_private.enforce_status_machine();
drop function lending_private.check_currency();
drop function lending_private.term_months_error(integer);
drop function lending_private.check_transition(bigint, text, text);
drop function lending_private.next_statuses(text);
drop table lending_private.status_transition;
drop table lending_private.application_status;
drop function lending_private.currency_error(text);
drop function lending_private.amount_error(numeric, smallint);
drop table lending_private.currency;
reset role;
