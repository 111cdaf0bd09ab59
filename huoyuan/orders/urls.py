from django.urls import path

from huoyuan.orders import views

app_name = "orders"
urlpatterns = [
    path("nav/", views.nav, name="nav"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", views.cart_line, name="cart_line"),
    path("cart/lines/<int:line_id>/remove/", views.cart_remove, name="cart_remove"),
    path("addresses/", views.addresses, name="addresses"),
    path("addresses/<int:address_id>/", views.address_edit, name="address_edit"),
    path("addresses/<int:address_id>/delete/", views.address_delete, name="address_delete"),
    path("addresses/<int:address_id>/default/", views.address_default, name="address_default"),
    path("orders/", views.order_list, name="list"),
    path("orders/<int:order_id>/", views.order_detail, name="detail"),
    path("orders/<int:order_id>/reorder/", views.order_reorder, name="reorder"),
    path("workbench/orders/", views.inbox, name="inbox"),
]
# One page per action of the order page (ACTIONS): each its own URL, so logs and the
# authorization matrix name them.
urlpatterns += [
    path(f"orders/<int:order_id>/{name}/", views.order_action, {"action": name}, name=name)
    for name in views.ACTIONS
]
