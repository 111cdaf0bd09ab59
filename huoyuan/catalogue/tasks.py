from __future__ import annotations

from django.tasks import task

from huoyuan.catalogue.importing import import_job_run


@task()
def import_run(job_id: int) -> int:
    job = import_job_run(job_id=job_id)
    return job.created_count
