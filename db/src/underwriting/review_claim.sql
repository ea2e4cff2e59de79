-- Claims on applications in manual_review: a reviewer claims one before deciding it (lending.claim_review), so two
-- people do not review the same application at once. A claim lasts the setting review_claim_seconds and then
-- lapses by itself; claims are append-only, the latest unexpired one holds.
create table lending_private.review_claim (
  claim_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  claimed_by text not null,
  claimed_at timestamptz not null default now(),
  expires_at timestamptz not null,
  request_id text,
  constraint review_claim_expires_after_it_starts check (expires_at > claimed_at)
);
create index review_claim_application on lending_private.review_claim (application_id, claim_id);
comment on table lending_private.review_claim is
  'Reviewers'' claims on applications in manual_review; the latest unexpired claim of an application holds it.';

create trigger _100_refuse_change before update or delete on lending_private.review_claim
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.review_claim
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.review_claim
  for each row execute function lending_private.record_audit('application', 'application_id', 'claim_id');
