from django.urls import path

from huoyuan.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<int:product_id>/", views.product, name="product"),
    path("workbench/products/", views.workbench_products, name="workbench_products"),
    path("workbench/products/new/", views.workbench_product_edit, name="workbench_product_new"),
    path(
        "workbench/products/<int:product_id>/",
        views.workbench_product_edit,
        name="workbench_product_edit",
    ),
    path(
        "workbench/products/<int:product_id>/status/",
        views.workbench_product_status,
        name="workbench_product_status",
    ),
    path(
        "workbench/products/<int:product_id>/images/",
        views.workbench_product_image_add,
        name="workbench_product_image_add",
    ),
    path(
        "workbench/products/<int:product_id>/images/<int:image_id>/delete/",
        views.workbench_product_image_delete,
        name="workbench_product_image_delete",
    ),
    path("workbench/imports/", views.workbench_imports, name="workbench_imports"),
    path("workbench/imports/<int:job_id>/", views.workbench_import, name="workbench_import"),
]
