from django.urls import path

from chibo.meetings import views

app_name = "meetings"
urlpatterns = [
    path("units/<str:code>/meetings/", views.cell_meetings, name="cell"),
    path("units/<str:code>/meetings/new/", views.meeting_new, name="new"),
    path("units/<str:code>/meetings/schedule/", views.schedule, name="schedule"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/preparation/", views.meeting_preparation, name="preparation"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="attendance"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="minutes"),
    path("meetings/<int:pk>/speeches/new/", views.meeting_speech, name="speech"),
    path("meetings/<int:pk>/vote/", views.meeting_vote, name="vote"),
    path("meetings/<int:pk>/guests/new/", views.meeting_guest, name="guest"),
    path("meetings/<int:pk>/items/new/", views.meeting_item, name="item"),
    path(
        "meetings/<int:pk>/items/<int:item_pk>/remove/",
        views.meeting_item_remove,
        name="item_remove",
    ),
    path("meetings/<int:pk>/tasks/new/", views.meeting_task, name="task"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("meetings/<int:pk>/postpone/", views.meeting_postpone, name="postpone"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("meetings/<int:pk>/approve/", views.meeting_approve, name="approve"),
    path("meetings/<int:pk>/amend/", views.meeting_amend, name="amend"),
    path("meetings/<int:pk>/seal/", views.minutes_seal, name="seal"),
    path("meetings/<int:pk>/minutes.docx", views.minutes_docx, name="minutes_docx"),
    path("meetings/<int:pk>/minutes.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("meetings/<int:pk>/attendance-sheet/", views.attendance_sheet, name="attendance_sheet"),
    path("meetings/<int:pk>/qr.svg", views.meeting_qr, name="qr"),
    path("meetings/<int:pk>/checkin/<str:code>/", views.meeting_checkin, name="checkin"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<str:token>/me.ics", views.person_calendar, name="person_calendar"),
    path("calendar/<str:token>/cells/<str:code>.ics", views.cell_calendar, name="cell_calendar"),
    path("tasks/mine/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/", views.task_update, name="task_update"),
]
