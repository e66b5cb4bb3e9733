# ruff: noqa
import math


def B(x, y, eta, J, Delta, tau, I_ext):
    B_t0 = 1/tau
    B_t1 = y**2
    B_t2 = x + 1
    B_t3 = B_t2**2
    B_t4 = B_t1 + B_t3
    B_t5 = 1/B_t4
    B_t6 = 4*B_t5
    B_t7 = B_t1 + x**2 - 1
    B_t8 = B_t5*B_t7
    B_t9 = 1/math.pi
    B_t10 = B_t0*B_t9*J
    B_t11 = B_t10*(-B_t2*B_t8 + x)
    B_t12 = B_t4**(-2)
    B_t13 = 4*B_t12*B_t7
    B_t14 = B_t2*B_t6
    B_t15 = B_t8 - 1
    B_t16 = -B_t13*B_t3 + B_t14*x + B_t15
    B_t17 = B_t10*B_t5
    B_t18 = 2*B_t17
    B_t19 = B_t2*y
    B_t20 = B_t18*B_t19
    B_t21 = -B_t5*B_t7
    B_t22 = B_t18*(B_t21 + 1)
    B_t23 = B_t2*B_t21
    B_t24 = B_t18*(B_t23 + x)
    B_t25 = 2*B_t23 + 2*x + 1
    B_t26 = B_t10*B_t8
    B_t27 = B_t26 - I_ext - eta + 1
    B_t28 = -B_t0*(4*B_t0*B_t1*B_t12*B_t2*B_t25*B_t9*J - B_t1*B_t22 - B_t2*B_t24 - B_t27)
    B_t29 = B_t10*(1 - B_t8)
    B_t30 = B_t1*B_t6
    B_t31 = -B_t1*B_t13 + B_t15 + B_t30
    B_t32 = B_t1 - B_t3
    B_t33 = B_t17*B_t32
    B_t34 = -B_t0*(2*B_t10*B_t12*B_t25*B_t32*y + B_t19*B_t22 - B_t24*y + Delta)
    return [-B_t0*(-B_t11*B_t6*y + B_t16*B_t20 + Delta), B_t28, B_t28, B_t0*(B_t14*B_t29*y - B_t20*B_t31 + Delta), -B_t0*(B_t11*B_t14 + B_t16*B_t33 + B_t27), B_t34, B_t34, -B_t0*(-B_t26 - B_t29*B_t30 + B_t31*B_t33 + I_ext + eta - 1)]


def C(x, y, eta, J, Delta, tau, I_ext):
    C_t0 = x + 1
    C_t1 = C_t0**2
    C_t2 = y**2
    C_t3 = C_t1 + C_t2
    C_t4 = 1/C_t3
    C_t5 = 4*C_t4
    C_t6 = C_t1*C_t5
    C_t7 = C_t2 + x**2 - 1
    C_t8 = C_t7/C_t3**2
    C_t9 = 4*C_t8
    C_t10 = 2*x
    C_t11 = C_t4*C_t7
    C_t12 = C_t0*C_t11
    C_t13 = 2*C_t12
    C_t14 = C_t10 - C_t13 + 1
    C_t15 = C_t0**3*C_t9 + C_t14 - C_t6*x
    C_t16 = 2*C_t4
    C_t17 = C_t0*C_t16
    C_t18 = C_t1*C_t9
    C_t19 = C_t0*C_t5
    C_t20 = C_t11 - 1
    C_t21 = C_t19*x + C_t20
    C_t22 = -C_t18 + C_t21
    C_t23 = J/(math.pi*tau**2)
    C_t24 = C_t23*C_t4
    C_t25 = 6*C_t24
    C_t26 = C_t0*C_t22
    C_t27 = -C_t12 + x
    C_t28 = C_t2*C_t5
    C_t29 = -8*C_t1*C_t8 + C_t21 + C_t6
    C_t30 = 1 - C_t11
    C_t31 = -C_t10 + C_t13
    C_t32 = C_t16*C_t23
    C_t33 = C_t32*(2*C_t0*C_t2*C_t22*C_t4 + 2*C_t0*C_t2*C_t29*C_t4 - C_t0*C_t28*C_t30 - C_t26 - C_t27*C_t28 - C_t31)
    C_t34 = C_t0*C_t2
    C_t35 = C_t28*x + C_t31 + 8*C_t34*C_t4 - 12*C_t34*C_t8 - 1
    C_t36 = C_t2*C_t9
    C_t37 = C_t28 - C_t36
    C_t38 = C_t32*y
    C_t39 = -C_t38*(3*C_t11 + C_t14*C_t19 - C_t17*C_t35 + C_t37 - 3)
    C_t40 = C_t16*C_t2
    C_t41 = 2*C_t2*C_t8
    C_t42 = C_t20 + C_t40 - C_t41
    C_t43 = C_t4*(-C_t1 + C_t2)
    C_t44 = -C_t38*(4*C_t0*C_t4*x - C_t18 - C_t19*C_t27 - C_t22*C_t43 - C_t29*C_t43 - C_t30*C_t6)
    C_t45 = C_t32*(C_t0*(C_t20 + C_t37) - C_t14*C_t28 + C_t27 + C_t35*C_t43)
    return [-C_t25*y*(C_t15*C_t17 + C_t22), C_t33, C_t33, C_t39, C_t33, C_t39, C_t39, C_t0*C_t25*(C_t28*C_t42 - C_t28 + C_t30 + C_t36), -C_t25*(C_t15*C_t43 - C_t26 + C_t27), C_t44, C_t44, C_t45, C_t44, C_t45, C_t45, 12*C_t24*y*(C_t30 - C_t40 + C_t41 + C_t42*C_t43)]
