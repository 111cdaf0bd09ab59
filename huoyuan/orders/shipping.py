"""The supplier ships an order: all that is left, or some units of some lines (a partial shipment).
The order becomes shipped, with its auto-confirm clock started, once every unit has shipped.
Carriers and their tracking numbers are checked by ``carriers``; the carrier's adapter (manual for
now) is the seam where an integration will book the pickup."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.stock import stock_consume
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders.carriers import PickupRequest, adapter_for, waybill_clean
from huoyuan.orders.contracts import OrderStatus, Party
from huoyuan.orders.errors import IllegalTransition, NotFound, ValidationFailed
from huoyuan.orders.lifecycle import party_of, trade_settings, transition
from huoyuan.orders.locks import order_lock
from huoyuan.orders.models import OrderEvent, OrderLine, Shipment, ShipmentLine

S = OrderStatus


def order_ship(
    *,
    actor: Actor,
    order_id: int,
    carrier: str = "",
    tracking_number: str,
    quantities: dict[int, int] | None = None,
    carrier_code: str | None = None,
) -> Shipment:
    """The supplier ships lines (all that is left, or ``quantities``: line id -> units).

    ``carrier_code``: one of ``carriers.CARRIERS`` (``other`` with the name in ``carrier``); the
    tracking number must then suit the carrier. Without it, ``carrier`` is free text (the form
    callers used before the list existed; the buyer then gets no tracking link).
    """
    waybill = waybill_clean(
        carrier_code=carrier_code, carrier=carrier, tracking_number=tracking_number
    )
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        if party_of(actor, order) != Party.SUPPLIER:
            raise NotFound()
        if order.status != S.PAID:
            raise IllegalTransition(
                _("Only paid orders can ship; this one is %(status)s.")
                % {"status": S(order.status).label}
            )
        lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
        wanted = quantities or {pk: line.to_ship for pk, line in lines.items() if line.to_ship}
        for line_id, units in wanted.items():
            line = lines.get(int(line_id))
            if line is None:
                raise ValidationFailed(_("That line is not part of this order."), field="lines")
            if not 0 <= units <= line.to_ship:
                raise ValidationFailed(
                    _("Line %(code)s has %(left)s units left to ship.")
                    % {"code": line.sku_code, "left": line.to_ship},
                    field="lines",
                )
        wanted = {int(k): v for k, v in wanted.items() if v}
        if not wanted:
            raise ValidationFailed(_("Choose at least one unit to ship."), field="lines")
        request = PickupRequest(order_id=order.pk, order_number=order.number, waybill=waybill)
        carrier, tracking_number = waybill.name, adapter_for(waybill.carrier).create_pickup(request)
        shipment = Shipment.objects.create(
            order=order,
            carrier_code=waybill.code,
            carrier=carrier,
            tracking_number=tracking_number,
            created_by_id=actor.user_id,
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, line_id=pk, quantity=units)
            for pk, units in wanted.items()
        )
        consumed: dict[int, int] = {}
        for pk, units in wanted.items():
            line = lines[pk]
            line.shipped_quantity += units
            line.save(update_fields=["shipped_quantity"])
            if line.sku_id is not None:
                consumed[line.sku_id] = consumed.get(line.sku_id, 0) + units
        stock_consume(quantities=consumed)
        if all(line.to_ship == 0 for line in lines.values()):
            order.auto_confirm_at = timezone.now() + timedelta(
                days=trade_settings().auto_confirm_days
            )
            order.save(update_fields=["auto_confirm_at"])
            transition(
                order,
                S.SHIPPED,
                party=Party.SUPPLIER,
                actor_id=actor.user_id,
                reason=f"{carrier} {tracking_number}",
            )
        else:
            OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                party=Party.SUPPLIER,
                actor_id=actor.user_id,
                reason=_("Partial shipment: %(carrier)s %(number)s")
                % {"carrier": carrier, "number": tracking_number},
            )
            notify_many(
                [
                    Notice(
                        organization_id=order.buyer_id,
                        verb="order.partly_shipped",
                        message=gettext_noop("Part of order %(number)s has shipped."),
                        params={"number": order.number},
                        link=f"/orders/{order.pk}/",
                    )
                ]
            )
    return shipment
