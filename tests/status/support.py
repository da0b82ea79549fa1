"""Rows in known states and read-backs, each in its own app context (as another
process would see them)."""
from datetime import timedelta

HOUR = timedelta(hours=1)


class StatusData:
    def __init__(self, app):
        self.app = app

    def _context(self):
        return self.app.app_context()

    def settings(self, **fields):
        from statusmail.extensions import db
        from statusmail.models import SiteSettings
        with self._context():
            settings = SiteSettings.get()
            for name, value in fields.items():
                setattr(settings, name, value)
            db.session.commit()

    def notifications_on(self):
        self.settings(notifications_enabled=True)

    def component(self, name, **fields):
        from statusmail.extensions import db
        from statusmail.models import Component
        with self._context():
            row = Component(name=name, **fields)
            db.session.add(row)
            db.session.commit()
            return row.id

    def component_id(self, name):
        from statusmail.models import Component
        with self._context():
            return Component.query.filter_by(name=name).one().id

    def maintenance(self, title, starts_in, lasts, component_ids=(), **fields):
        """A window ``starts_in`` from now (negative: in the past), written directly
        (the service refuses past starts, as it should)."""
        from statusmail.extensions import db
        from statusmail.models import Component, Maintenance, utcnow
        with self._context():
            starts_at = utcnow() + starts_in
            row = Maintenance(title=title, starts_at=starts_at, ends_at=starts_at + lasts,
                              components=[db.session.get(Component, cid) for cid in component_ids],
                              **fields)
            db.session.add(row)
            db.session.commit()
            return row.id

    def incident(self, title="Something broke", status="investigating", affected=(),
                 notify=False, message="We are looking into it."):
        from statusmail.services.incidents import create_incident
        with self._context():
            incident, _ = create_incident(title=title, impact="major", status=status,
                                          message=message, affected=affected, notify=notify)
            return incident.id

    def notices(self):
        """``[(kind, incident_id, maintenance_id, component_id)]`` in creation order."""
        from statusmail.models import Notification
        with self._context():
            return [(n.kind, n.incident_id, n.maintenance_id, n.component_id)
                    for n in Notification.query.order_by(Notification.id)]

    def get(self, model_name, row_id):
        """A detached copy of a row, relationships loaded."""
        from statusmail import models
        from statusmail.extensions import db
        with self._context():
            row = db.session.get(getattr(models, model_name), row_id)
            if row is None:
                return None
            for relation in ("components", "affected", "updates"):
                if hasattr(row, relation):
                    for item in getattr(row, relation):
                        getattr(item, "component", None)
            db.session.expunge_all()
            return row

    def statuses(self):
        from statusmail.models import Component
        with self._context():
            return {c.name: c.status for c in Component.query}

    def only_id(self, model_name):
        from statusmail import models
        with self._context():
            return getattr(models, model_name).query.one().id

    def count(self, model_name):
        from statusmail import models
        with self._context():
            return getattr(models, model_name).query.count()
