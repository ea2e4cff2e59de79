-- Deliveries of adverse action notices: each time the notice of a rejection was sent, and how.
create table lending_private.notice_delivery (
  delivery_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  decision_id bigint not null references lending_private.decision,
  channel text not null constraint notice_delivery_channel_is_known check (channel in ('email', 'post', 'in_app', 'sms')),
  recorded_by text not null,
  request_id text,
  sent_at timestamptz not null default now()
);
create index notice_delivery_application on lending_private.notice_delivery (application_id, delivery_id);
comment on table lending_private.notice_delivery is 'Records that an adverse action notice was sent, by which channel.';

create trigger _100_refuse_change before update or delete on lending_private.notice_delivery
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.notice_delivery
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.notice_delivery
  for each row execute function lending_private.record_audit('application', 'application_id', 'delivery_id');
