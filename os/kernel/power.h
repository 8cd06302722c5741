/* Powering off QEMU with an exit status, through the sifive_test device. */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

/* Exit statuses seen by whoever ran QEMU. */
#define POWER_STATUS_OK          0
#define POWER_STATUS_PANIC       1
#define POWER_STATUS_TEST_FAILED 3

void power_off(int status) __attribute__((noreturn));

#endif
