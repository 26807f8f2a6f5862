! The carbontracker C interface (include/carbontracker/carbontracker.h,
! doc/c-api.md) for Fortran 2003 and later, through ISO_C_BINDING.
!
!   use carbontracker
!   type(c_ptr) :: tracker
!   status = ct_tracker_create('{"epochs": 3}' // c_null_char, c_null_funptr, c_null_ptr, tracker)
!
! Strings passed in end with c_null_char; strings handed out (type(c_ptr))
! are turned into Fortran strings, and released, by ct_take_string.
module carbontracker
  use, intrinsic :: iso_c_binding
  implicit none
  private

  public :: ct_version, ct_last_error_code, ct_last_error_message, ct_free
  public :: ct_tracker_create, ct_tracker_epoch_start, ct_tracker_epoch_end
  public :: ct_tracker_stop, ct_tracker_close, ct_tracker_free, ct_tracker_set_api_keys
  public :: ct_tracker_monitoring, ct_tracker_results, ct_tracker_take_output
  public :: ct_parse_logs, ct_parse_all_logs, ct_aggregate_consumption
  public :: ct_read_std_log, ct_read_output_log, ct_read_run, ct_parse_duration
  public :: ct_aggregate_sentence, ct_generate_report, ct_run_cli, ct_running_library_threads
  public :: ct_f_string, ct_take_string, ct_error_message

  ! Status codes (enum ct_status).
  integer(c_int), parameter, public :: CT_OK = 0
  integer(c_int), parameter, public :: CT_ERROR_INVALID_ARGUMENT = 1
  integer(c_int), parameter, public :: CT_ERROR_COMPONENT = 2
  integer(c_int), parameter, public :: CT_ERROR_IO = 3
  integer(c_int), parameter, public :: CT_ERROR_USER_QUIT = 4
  integer(c_int), parameter, public :: CT_ERROR_INPUT = 5
  integer(c_int), parameter, public :: CT_ERROR_INTERNAL = 6
  integer(c_int), parameter, public :: CT_ERROR_CALLBACK_ABORTED = 7
  integer(c_int), parameter, public :: CT_ERROR_NO_MEMORY = 8
  integer(c_int), parameter, public :: CT_OUTPUT = 100
  ! What a confirm callback returns (enum ct_confirm_status).
  integer(c_int), parameter, public :: CT_CONFIRM_ANSWER = 0
  integer(c_int), parameter, public :: CT_CONFIRM_NO_ANSWER = 1
  integer(c_int), parameter, public :: CT_CONFIRM_ABORT = 2

  interface
    function ct_version() bind(c, name="ct_version") result(text)
      import :: c_ptr
      type(c_ptr) :: text
    end function

    function ct_last_error_code() bind(c, name="ct_last_error_code") result(status)
      import :: c_int
      integer(c_int) :: status
    end function

    function ct_last_error_message() bind(c, name="ct_last_error_message") result(text)
      import :: c_ptr
      type(c_ptr) :: text
    end function

    subroutine ct_free(p) bind(c, name="ct_free")
      import :: c_ptr
      type(c_ptr), value :: p
    end subroutine

    function ct_tracker_create(options_json, confirm, user, tracker) &
        bind(c, name="ct_tracker_create") result(status)
      import :: c_char, c_funptr, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: options_json
      type(c_funptr), value :: confirm
      type(c_ptr), value :: user
      type(c_ptr), intent(out) :: tracker
      integer(c_int) :: status
    end function

    function ct_tracker_epoch_start(tracker) bind(c, name="ct_tracker_epoch_start") result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: tracker
      integer(c_int) :: status
    end function

    function ct_tracker_epoch_end(tracker) bind(c, name="ct_tracker_epoch_end") result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: tracker
      integer(c_int) :: status
    end function

    function ct_tracker_stop(tracker) bind(c, name="ct_tracker_stop") result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: tracker
      integer(c_int) :: status
    end function

    function ct_tracker_close(tracker) bind(c, name="ct_tracker_close") result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: tracker
      integer(c_int) :: status
    end function

    subroutine ct_tracker_free(tracker) bind(c, name="ct_tracker_free")
      import :: c_ptr
      type(c_ptr), value :: tracker
    end subroutine

    function ct_tracker_set_api_keys(tracker, keys_json) &
        bind(c, name="ct_tracker_set_api_keys") result(status)
      import :: c_ptr, c_char, c_int
      type(c_ptr), value :: tracker
      character(kind=c_char), dimension(*), intent(in) :: keys_json
      integer(c_int) :: status
    end function

    function ct_tracker_monitoring(tracker, monitoring) &
        bind(c, name="ct_tracker_monitoring") result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: tracker
      integer(c_int), intent(out) :: monitoring
      integer(c_int) :: status
    end function

    function ct_tracker_results(tracker, json) bind(c, name="ct_tracker_results") result(status)
      import :: c_ptr, c_int
      type(c_ptr), value :: tracker
      type(c_ptr), intent(out) :: json
      integer(c_int) :: status
    end function

    function ct_tracker_take_output(tracker, text, length) &
        bind(c, name="ct_tracker_take_output") result(status)
      import :: c_ptr, c_size_t, c_int
      type(c_ptr), value :: tracker
      type(c_ptr), intent(out) :: text
      integer(c_size_t), intent(out) :: length
      integer(c_int) :: status
    end function

    function ct_parse_logs(log_dir, std_log_file, output_log_file, json) &
        bind(c, name="ct_parse_logs") result(status)
      import :: c_char, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: log_dir, std_log_file, output_log_file
      type(c_ptr), intent(out) :: json
      integer(c_int) :: status
    end function

    function ct_parse_all_logs(log_dir, recursive, json) &
        bind(c, name="ct_parse_all_logs") result(status)
      import :: c_char, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: log_dir
      integer(c_int), value :: recursive
      type(c_ptr), intent(out) :: json
      integer(c_int) :: status
    end function

    function ct_aggregate_consumption(log_dir, recursive, json) &
        bind(c, name="ct_aggregate_consumption") result(status)
      import :: c_char, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: log_dir
      integer(c_int), value :: recursive
      type(c_ptr), intent(out) :: json
      integer(c_int) :: status
    end function

    function ct_read_std_log(text, length, json) bind(c, name="ct_read_std_log") result(status)
      import :: c_char, c_size_t, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: text
      integer(c_size_t), value :: length
      type(c_ptr), intent(out) :: json
      integer(c_int) :: status
    end function

    function ct_read_output_log(text, length, json) bind(c, name="ct_read_output_log") result(status)
      import :: c_char, c_size_t, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: text
      integer(c_size_t), value :: length
      type(c_ptr), intent(out) :: json
      integer(c_int) :: status
    end function

    function ct_read_run(files_json, json) bind(c, name="ct_read_run") result(status)
      import :: c_char, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: files_json
      type(c_ptr), intent(out) :: json
      integer(c_int) :: status
    end function

    function ct_parse_duration(text, seconds, valid) bind(c, name="ct_parse_duration") result(status)
      import :: c_char, c_double, c_int
      character(kind=c_char), dimension(*), intent(in) :: text
      real(c_double), intent(out) :: seconds
      integer(c_int), intent(out) :: valid
      integer(c_int) :: status
    end function

    function ct_aggregate_sentence(energy_kwh, co2eq_g, equivalents_json, sentence) &
        bind(c, name="ct_aggregate_sentence") result(status)
      import :: c_double, c_char, c_ptr, c_int
      real(c_double), value :: energy_kwh, co2eq_g
      character(kind=c_char), dimension(*), intent(in) :: equivalents_json
      type(c_ptr), intent(out) :: sentence
      integer(c_int) :: status
    end function

    function ct_generate_report(path, output, warnings_json) &
        bind(c, name="ct_generate_report") result(status)
      import :: c_char, c_ptr, c_int
      character(kind=c_char), dimension(*), intent(in) :: path, output
      type(c_ptr), intent(out) :: warnings_json
      integer(c_int) :: status
    end function

    function ct_run_cli(argc, argv, exit_status) bind(c, name="ct_run_cli") result(status)
      import :: c_int, c_ptr
      integer(c_int), value :: argc
      type(c_ptr), dimension(*), intent(in) :: argv
      integer(c_int), intent(out) :: exit_status
      integer(c_int) :: status
    end function

    function ct_running_library_threads(count) &
        bind(c, name="ct_running_library_threads") result(status)
      import :: c_int
      integer(c_int), intent(out) :: count
      integer(c_int) :: status
    end function

    function c_strlen(s) bind(c, name="strlen") result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function
  end interface

contains

  ! A copy of the NUL-terminated C string at p ("" for a null pointer).
  function ct_f_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer(c_size_t) :: n
    integer :: i
    if (.not. c_associated(p)) then
      s = ''
      return
    end if
    n = c_strlen(p)
    call c_f_pointer(p, chars, [n])
    allocate (character(len=n) :: s)
    do i = 1, int(n)
      s(i:i) = chars(i)
    end do
  end function

  ! ct_f_string of a string the library handed out, which is then released.
  function ct_take_string(p) result(s)
    type(c_ptr), intent(inout) :: p
    character(len=:), allocatable :: s
    s = ct_f_string(p)
    call ct_free(p)
    p = c_null_ptr
  end function

  ! The calling thread's last error message.
  function ct_error_message() result(s)
    character(len=:), allocatable :: s
    s = ct_f_string(ct_last_error_message())
  end function

end module carbontracker
