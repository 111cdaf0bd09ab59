from django.urls import path

from huoyuan.suppliers import views

app_name = "suppliers"
urlpatterns = [
    path("s/<slug:slug>/", views.storefront, name="storefront"),
    path("suppliers/", views.supplier_list, name="list"),
    path("workbench/profile/", views.workbench_profile, name="workbench_profile"),
    path("workbench/profile/logo/", views.workbench_logo, name="workbench_logo"),
    path("workbench/profile/photos/", views.workbench_photo_add, name="workbench_photo_add"),
    path(
        "workbench/profile/photos/<int:photo_id>/delete/",
        views.workbench_photo_delete,
        name="workbench_photo_delete",
    ),
    path("operator/verification/", views.verification_queue, name="verification_queue"),
]
