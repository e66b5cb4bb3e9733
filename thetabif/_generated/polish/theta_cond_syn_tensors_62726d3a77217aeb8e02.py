# ruff: noqa
import math


def B(x, y, s, eta, J, Delta, tau, I_ext, tau_s, v_s):
    B_t0 = 1/tau
    B_t1 = B_t0*(Delta + s)
    B_t2 = -B_t1
    B_t3 = B_t0*(I_ext + eta + s*v_s - 1)
    B_t4 = -B_t3
    B_t5 = -B_t0*(v_s*y + x)
    B_t6 = x + 1
    B_t7 = B_t0*(B_t6*v_s - y)
    B_t8 = -B_t7
    B_t9 = B_t6**2
    B_t10 = y**2
    B_t11 = B_t10 + x**2 - 1
    B_t12 = B_t10 + B_t9
    B_t13 = 4/B_t12**2
    B_t14 = B_t11*B_t13
    B_t15 = 1/B_t12
    B_t16 = 4*B_t15
    B_t17 = B_t11*B_t15 - 1
    B_t18 = B_t0*J/(math.pi*tau_s)
    B_t19 = 2*B_t15*B_t18
    B_t20 = -B_t13*B_t18*y*(2*B_t11*B_t15*B_t6 - 2*x - 1)
    return [B_t2, B_t4, B_t5, B_t4, B_t1, B_t8, B_t5, B_t8, 0, B_t3, B_t2, B_t7, B_t2, B_t4, B_t5, B_t7, B_t5, 0, B_t19*(-B_t14*B_t9 + B_t16*B_t6*x + B_t17), B_t20, 0, B_t20, B_t19*(-B_t10*B_t14 + B_t10*B_t16 + B_t17), 0, 0, 0, 0]


def C(x, y, s, eta, J, Delta, tau, I_ext, tau_s, v_s):
    C_t0 = 1/tau
    C_t1 = -C_t0
    C_t2 = C_t0*v_s
    C_t3 = -C_t2
    C_t4 = 2*x
    C_t5 = x + 1
    C_t6 = C_t5**2
    C_t7 = y**2
    C_t8 = C_t6 + C_t7
    C_t9 = 1/C_t8
    C_t10 = 4*C_t9
    C_t11 = C_t10*C_t6
    C_t12 = C_t7 + x**2 - 1
    C_t13 = C_t12*C_t9
    C_t14 = 2*C_t13
    C_t15 = C_t14*C_t5
    C_t16 = C_t8**(-2)
    C_t17 = C_t12*C_t16
    C_t18 = C_t0*C_t16*J/(math.pi*tau_s)
    C_t19 = 8*C_t5
    C_t20 = 12*C_t17
    C_t21 = 4*C_t18
    C_t22 = -C_t21*y*(C_t11 + C_t14 + C_t19*C_t9*x - C_t20*C_t6 - 2)
    C_t23 = C_t7*C_t9
    C_t24 = -C_t21*(C_t10*C_t7*x + C_t15 + C_t19*C_t23 - C_t20*C_t5*C_t7 - C_t4 - 1)
    return [0, 0, C_t1, 0, 0, C_t3, C_t1, C_t3, 0, 0, 0, C_t3, 0, 0, C_t0, C_t3, C_t0, 0, C_t1, C_t3, 0, C_t3, C_t0, 0, 0, 0, 0, 0, 0, C_t2, 0, 0, C_t1, C_t2, C_t1, 0, 0, 0, C_t1, 0, 0, C_t3, C_t1, C_t3, 0, C_t2, C_t1, 0, C_t1, C_t3, 0, 0, 0, 0, 12*C_t18*(-C_t11*x - C_t15 + 4*C_t17*C_t5**3 + C_t4 + 1), C_t22, 0, C_t22, C_t24, 0, 0, 0, 0, C_t22, C_t24, 0, C_t24, -24*C_t18*y*(C_t13 - 2*C_t17*C_t7 + 2*C_t23 - 1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
