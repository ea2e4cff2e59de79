-- Offers: an approval fixes one, with its terms copied from the assessment it relied on (or, without one, from the
-- product version in force), so a later product change never alters it. The borrower's answer is recorded once:
-- accepted, declined, or expired when an acceptance came too late.
create table lending_private.offer (
  offer_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  decision_id bigint not null references lending_private.decision,
  assessment_id bigint references lending_private.assessment,
  product_code text not null,
  product_version integer not null,
  amount numeric not null,
  currency text not null,
  risk_grade text,
  annual_rate numeric not null,
  term_months integer,
  amortization text not null,
  installment numeric,
  total_interest numeric,
  origination_fee numeric not null,
  total_repayable numeric,
  apr numeric,
  offered_at timestamptz not null default now(),
  expires_at timestamptz not null,
  constraint offer_expires_after_it_is_made check (expires_at > offered_at)
);
create index offer_application on lending_private.offer (application_id, offer_id);
comment on table lending_private.offer is
  'Offers fixed by approvals. Without a term (the tutorial''s flow) installment, totals and APR are unknown: null.';
comment on column lending_private.offer.risk_grade is
  'The assessment''s grade; null without an assessment, when the offer takes the product''s grade E rate.';

create table lending_private.offer_response (
  offer_id bigint primary key references lending_private.offer,
  application_id bigint not null references lending_private.application,
  response text not null constraint offer_response_is_known check (response in ('accepted', 'declined', 'expired')),
  reason lending_private.reason,
  recorded_by text not null,
  request_id text,
  recorded_at timestamptz not null default now()
);
comment on table lending_private.offer_response is
  'The borrower''s answer to an offer, recorded on their behalf; at most one per offer.';

create trigger _100_refuse_change before update or delete on lending_private.offer
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.offer
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.offer
  for each row execute function lending_private.record_audit('application', 'application_id', 'offer_id', 'amount',
                                                             'installment', 'total_interest', 'origination_fee',
                                                             'total_repayable');
create trigger _100_refuse_change before update or delete on lending_private.offer_response
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.offer_response
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.offer_response
  for each row execute function lending_private.record_audit('application', 'application_id', 'offer_id');
