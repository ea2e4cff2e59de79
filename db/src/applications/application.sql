-- Loan applications. currency and status name rows of small reference tables, but not through foreign keys: a
-- foreign key check locks the referenced row (FOR KEY SHARE), and every concurrent application naming USD or
-- pending would then share the lock on one row, a global hot spot. Triggers check them instead; reference rows are
-- never deleted.
create table lending_private.application (
  application_id bigint generated always as identity primary key,
  applicant_id bigint not null references lending_private.party,
  amount lending_private.loan_amount not null,
  currency text not null default 'USD',
  term_months lending_private.term_months,
  purpose lending_private.loan_purpose,
  external_ref lending_private.external_ref,
  status text not null default 'pending',
  withdrawal_reason lending_private.reason,
  version lending_private.row_version not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- The facts underwriting needs (lending_private.application_fact_errors says what each may hold).
  product_code text not null default 'standard',
  annual_income numeric,
  monthly_debt_payments numeric,
  employment_status text,
  months_employed integer,
  housing_status text,
  credit_score integer,
  credit_score_source text,
  credit_score_date date,
  date_of_birth date,
  income_verified boolean,
  identity_verified boolean
);
create index application_status_newest_first on lending_private.application (status, application_id desc);
create index application_applicant on lending_private.application (applicant_id);
comment on table lending_private.application is 'Loan applications. Their status moves only along status_transition.';
comment on column lending_private.application.amount is 'Requested principal, exact, in `currency`.';
comment on column lending_private.application.version is 'Bumped on every change; lending.decide checks it on request.';
comment on column lending_private.application.product_code is
  'The loan product applied for (lending_private.product); the default product, standard, when none was named.';
comment on column lending_private.application.annual_income is 'Gross annual income, in the application''s currency.';
comment on column lending_private.application.monthly_debt_payments is
  'Payments on existing debts per month, before this loan, in the application''s currency.';
comment on column lending_private.application.credit_score is
  'A credit score of 300-850, from credit_score_source on credit_score_date.';

-- Triggers fire in the order of their names. The application's event (_800_event) is in events/event.sql.
create trigger _100_refuse_delete before delete on lending_private.application
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.application
  for each statement execute function lending_private.refuse_change();
create trigger _140_check_currency before insert or update of currency on lending_private.application
  for each row execute function lending_private.check_currency();
create trigger _150_enforce_status_machine before insert or update of status on lending_private.application
  for each row execute function lending_private.enforce_status_machine();
create trigger _160_check_facts before insert or update on lending_private.application
  for each row execute function lending_private.check_application_facts();
create trigger _200_bump_version before update on lending_private.application
  for each row execute function lending_private.bump_version();
create trigger _900_audit after insert or update on lending_private.application
  for each row execute function lending_private.record_audit('application', 'application_id', 'application_id',
                                                             'amount');
