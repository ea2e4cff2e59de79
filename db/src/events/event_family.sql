-- Which events an actor may read follows from what its role may read: the family of an event type (its part
-- before the dot) names the operation that reads its resources. A family nobody may read is shown to nobody.
create table lending_private.event_family (
  family text primary key,
  read_operation text not null references lending_private.operation
);
comment on table lending_private.event_family is
  'Event type families (application, ...) and the read operation a role needs to see their events.';

insert into lending_private.event_family (family, read_operation) values ('application', 'read_applications');
