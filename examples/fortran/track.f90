! A Fortran program tracked by carbontracker through its C interface (the
! module in carbontracker.f90): three "epochs" of a small computation,
! measured on a simulated 40 W CPU (so that it runs on any machine), with the
! consumption printed and logged, and the run's JSON record read back.
!
!   gfortran carbontracker.f90 track.f90 -o track -lcarbontracker
!   ./track LOG_DIR
program track
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: output_unit, error_unit
  use carbontracker
  implicit none
  type(c_ptr) :: tracker, json
  integer(c_int) :: status
  integer :: epoch, i, n
  real(c_double) :: x
  character(len=1024) :: log_dir
  character(len=:), allocatable :: options

  n = command_argument_count()
  log_dir = './logs'
  if (n >= 1) call get_command_argument(1, log_dir)
  ! log_dir goes into JSON: this example expects no quote or backslash in it.
  options = '{"epochs": 3, "monitor_epochs": 3, "components": "cpu",' // &
            ' "sim_cpu": "Example CPU", "sim_cpu_tdp": 40, "sim_cpu_util": 0.5,' // &
            ' "offline": true, "update_interval": 0.05, "decimal_precision": 12,' // &
            ' "log_dir": "' // trim(log_dir) // '"}'

  write (output_unit, '(a)') 'carbontracker ' // ct_f_string(ct_version())
  flush (output_unit)
  call check(ct_tracker_create(options // c_null_char, c_null_funptr, c_null_ptr, tracker), &
             'ct_tracker_create')
  do epoch = 1, 3
    call check(ct_tracker_epoch_start(tracker), 'ct_tracker_epoch_start')
    x = 0
    do i = 1, 3000000
      x = x + sqrt(real(i, c_double)) / epoch
    end do
    call check(ct_tracker_epoch_end(tracker), 'ct_tracker_epoch_end')
    write (output_unit, '(a, i0, a, f0.3)') 'epoch ', epoch, ': ', x
    flush (output_unit)
  end do
  call check(ct_tracker_stop(tracker), 'ct_tracker_stop')

  call check(ct_tracker_results(tracker, json), 'ct_tracker_results')
  write (output_unit, '(a)') 'result: ' // ct_take_string(json)
  call ct_tracker_free(tracker)

  ! A failure, as the library reports it.
  status = ct_tracker_create('{"epochs": 0}' // c_null_char, c_null_funptr, c_null_ptr, tracker)
  write (output_unit, '(a, i0, a)') 'invalid options: status ', status, ': ' // ct_error_message()
  deallocate (options)

contains

  ! Prints the reason of the last failure and ends the program.
  subroutine check(status, what)
    integer(c_int), intent(in) :: status
    character(len=*), intent(in) :: what
    if (status == CT_OK) return
    write (error_unit, '(a, i0, a)') 'track: ' // what // ' failed (status ', status, '): ' // &
                                     ct_error_message()
    error stop 1
  end subroutine

end program track
